import { z } from 'zod';
import type { AnyJournalEntry } from '../../journal/journal.js';
import { liveLayout } from '../../mqtt/live-feed-layout.js';
import { streamMessages } from '../../mqtt/live-feed-messages.js';
import { cachedLivePseudonym } from '../../mqtt/live-feed-privacy.js';
import { localTopics } from '../../mqtt/local-topics.js';
import type { Api, ApiContext } from '../server.js';
import { ROLES } from '../users.js';

/** Newest messages kept in one answer: a busy half hour of a large gate, not the journal. */
const MAX_MESSAGES = 5000;

/**
 * The recent past of the live streams (passes, refusals, temperatures), exactly as the live
 * socket sends them — the same mapping and pseudonyms — so a dashboard that opens, or comes
 * back after a lost connection, fills its feed and charts before the live messages continue.
 * Topics are relative to the site's tree (`pass/<gate>/<lane>`), as the dashboard routes them.
 */
export function historyRoutes(app: Api, { site }: ApiContext): void {
  const layout = liveLayout(site.config);
  const topics = localTopics(layout.siteId);
  const mapper = { topics, layout, pseudonym: cachedLivePseudonym(site.key) };
  const prefix = `${topics.base}/`;

  app.get(
    '/api/recent',
    {
      config: { roles: ROLES },
      schema: {
        summary: `Passes, refusals and temperature readings of the last minutes, as live messages (newest ${MAX_MESSAGES})`,
        querystring: z.strictObject({
          minutes: z.coerce.number().int().min(1).max(240).default(30),
        }),
      },
    },
    async (request) => {
      const now = site.now();
      const messages: { topic: string; payload: unknown }[] = [];
      for (const entry of site.journal.iterateRange({
        fromAt: now - request.query.minutes * 60_000,
        toAt: now + 1,
        types: ['decision', 'reading'],
      })) {
        for (const message of streamMessages(entry as AnyJournalEntry, mapper)) {
          if (message.pattern === 'alarm') continue;
          messages.push({ topic: message.topic.slice(prefix.length), payload: message.payload });
        }
        if (messages.length > 2 * MAX_MESSAGES) messages.splice(0, messages.length - MAX_MESSAGES);
      }
      return { messages: messages.slice(-MAX_MESSAGES) };
    },
  );
}
