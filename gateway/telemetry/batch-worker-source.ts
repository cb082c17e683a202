/**
 * A BatchSource that reads and renders in a worker thread (batch-worker.ts). Requests are
 * answered in order; one worker, started on the first request. A worker that dies (or cannot
 * start) fails the requests in flight — the sink treats that as a failed write and retries —
 * and the next request starts a new one.
 */
import { Worker } from 'node:worker_threads';
import type { BatchWorkerData } from './batch-worker.js';
import type { BatchRequest, BatchSource, PreparedBatch } from './batches.js';

interface Waiting {
  resolve: (batch: PreparedBatch) => void;
  reject: (error: Error) => void;
}

type Reply = { id: number; batch: PreparedBatch } | { id: number; error: string };

export class WorkerBatchSource implements BatchSource {
  private worker: Worker | undefined;
  private readonly waiting = new Map<number, Waiting>();
  private nextId = 1;

  constructor(private readonly data: BatchWorkerData) {}

  prepare(request: BatchRequest): Promise<PreparedBatch> {
    const worker = this.ensureWorker();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      worker.postMessage({ id, request });
    });
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    this.failAll(new Error('batch worker closed'));
    await worker?.terminate();
  }

  private ensureWorker(): Worker {
    if (this.worker !== undefined) return this.worker;
    const worker = new Worker(new URL('./batch-worker.js', import.meta.url), {
      workerData: this.data,
      // Batches are short-lived garbage: a larger young generation keeps them out of the old one.
      resourceLimits: { maxYoungGenerationSizeMb: 64 },
    });
    // Never the reason the process stays up: the sink terminates it on stop.
    worker.unref();
    worker.on('message', (reply: Reply) => {
      const waiting = this.waiting.get(reply.id);
      this.waiting.delete(reply.id);
      if ('error' in reply) waiting?.reject(new Error(`batch worker: ${reply.error}`));
      else waiting?.resolve(reply.batch);
    });
    const gone = (error: Error) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      this.failAll(error);
    };
    worker.on('error', gone);
    worker.on('exit', (code) => gone(new Error(`batch worker exited with code ${code}`)));
    this.worker = worker;
    return worker;
  }

  private failAll(error: Error): void {
    for (const waiting of this.waiting.values()) waiting.reject(error);
    this.waiting.clear();
  }
}
