/*
 * The one error the flow-syntax parser throws: a flow that ovs-ofctl would reject, or that needs
 * more than OpenFlow 1.0. The message follows ovs-ofctl's wording (without its "ovs-ofctl: "
 * prefix); for files it starts with "FILE:LINE: " as ovs-ofctl's does.
 */
export class FlowSyntaxError extends Error {
  override name = 'FlowSyntaxError';
}

/** Records why a flow needs more than plain OpenFlow 1.0 (the first reason wins). */
export type NeedsMore = (what: string, needs: string) => void;

/**
 * Collects the first reason a flow cannot be a plain OpenFlow 1.0 flow mod. ovs-ofctl decides the
 * protocol only after the whole flow parsed, so syntax errors anywhere in the flow take precedence;
 * the reason becomes an error at the end.
 */
export class Of10Check {
  reason: string | undefined;
  readonly need: NeedsMore = (what, needs) => {
    this.reason ??= `${what}: OpenFlow 1.0 cannot express this (ovs-ofctl would use ${needs})`;
  };
  /** Throws the recorded reason, if any. */
  done(): void {
    if (this.reason !== undefined) throw new FlowSyntaxError(this.reason);
  }
}
