import { type Message, NOTICE_MESSAGES, REASON_MESSAGES } from './reasons.js';
import type { Decision, Reason } from './types.js';

export type ExplainedReason = Reason & { message: Message };
export type ExplainedDecision = Omit<Decision, 'reasons'> & { reasons: ExplainedReason[] };

/** The decision with each reason's zh-CN and English message, for people and the CLI. */
export function explain(decision: Decision): ExplainedDecision {
  return {
    ...decision,
    reasons: decision.reasons.map((r) => ({
      ...r,
      message: r.effect === 'notice' ? NOTICE_MESSAGES[r.code] : REASON_MESSAGES[r.code],
    })),
  };
}
