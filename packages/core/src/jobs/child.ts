/**
 * A child process of the local job pool: runs each job it is sent and answers with the
 * result, as JSON (the transport any queue would use, so a result never depends on where it
 * ran). Leaves when its parent disconnects.
 */
import { errorMessage } from '../errors';
import { executeJob, Job } from './job';

export interface ChildRequest {
  readonly id: number;
  readonly job: Job;
  readonly from: string;
}

export type ChildReply = { readonly id: number; readonly ok: true; readonly json: string } | { readonly id: number; readonly ok: false; readonly error: string };

async function answer(request: ChildRequest): Promise<ChildReply> {
  try {
    const result = await executeJob(request.job, request.from);
    return { id: request.id, ok: true, json: JSON.stringify(result ?? null) };
  } catch (err) {
    return { id: request.id, ok: false, error: errorMessage(err) };
  }
}

if (process.send) {
  process.on('message', (request: ChildRequest) => {
    // A parent that died while the job ran (killed, Ctrl-C) has no one to answer: leave quietly.
    void answer(request).then((reply) => (process.connected ? process.send?.(reply) : process.exit(0)));
  });
  process.on('disconnect', () => process.exit(0));
  // A send that fails because the parent just went away.
  process.on('error', () => process.exit(0));
}
