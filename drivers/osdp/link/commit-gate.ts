/**
 * The commit of a commit-gated command (`OsdpControlPanel.send` with `commit`). It is called
 * exactly once: `commit(true)` when the command is on the wire but for its last byte, and its
 * answer decides whether that byte follows (HalfDuplexLine's commit gate); `commit(false)` when
 * the command will never reach the wire (the PD went offline, the panel stopped), so that the
 * caller still records what it decided. It must not throw; a throw on the wire counts as a
 * refusal.
 */
export type Commit = (onWire: boolean) => boolean;

/** Holds one command's commit and makes sure it runs once, whichever way the command ends. */
export class CommitGate {
  private called = false;

  constructor(private readonly commit: Commit) {}

  /** Not called yet: the command still goes out gated. */
  get pending(): boolean {
    return !this.called;
  }

  /** The command is on the wire but for its last byte: whether that byte may follow. */
  onWire(): boolean {
    if (this.called) return true;
    this.called = true;
    return this.commit(true);
  }

  /** The command will never reach the wire. */
  abandon(): void {
    if (this.called) return;
    this.called = true;
    try {
      this.commit(false);
    } catch {
      // The committer reports its own failures; the command is failing anyway.
    }
  }
}
