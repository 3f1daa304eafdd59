import type { AttemptPlan, AttemptRef, PbxGateway, PbxListener, ReconcileRequest, ReconcileResult } from '../../src/pbx/gateway';

/** A gateway for engine tests: records what the engine asks of the PBX and answers as told. */
export class RecordingGateway implements PbxGateway {
  readonly kind = 'asterisk' as const;
  listener: PbxListener | null = null;
  connected = true;
  readonly started: AttemptPlan[] = [];
  readonly abandoned: AttemptRef[] = [];
  reconcileAnswer: ReconcileResult = { goneAttempts: [], goneCallIds: [] };
  failNextStart: Error | null = null;
  failNextAbandon: Error | null = null;
  /** Every abandon fails with this while it is set (a PBX that keeps refusing). */
  failAbandons: Error | null = null;
  /** Abandons asked for, whether or not they succeeded. */
  abandonRequests = 0;

  async start(listener: PbxListener): Promise<void> {
    this.listener = listener;
  }
  async stop(): Promise<void> {}
  isConnected(): boolean {
    return this.connected;
  }
  async startAttempt(plan: AttemptPlan): Promise<void> {
    this.started.push(plan);
    const err = this.failNextStart;
    this.failNextStart = null;
    if (err) throw err;
  }
  async abandonAttempt(ref: AttemptRef): Promise<void> {
    this.abandonRequests++;
    const err = this.failNextAbandon ?? this.failAbandons;
    this.failNextAbandon = null;
    if (err) throw err;
    this.abandoned.push(ref);
  }
  async reconcile(_req: ReconcileRequest): Promise<ReconcileResult> {
    return this.reconcileAnswer;
  }
}
