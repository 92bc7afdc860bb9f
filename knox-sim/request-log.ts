/**
 * Every Knox request the simulator received (control paths excluded), in arrival order of their answers. Bodies and
 * headers are never recorded: they carry secrets and tokens.
 */
import type { FaultType, RequestLogEntry } from './model';

export interface LoggedRequest {
  method: string;
  path: string;
  status: number;
  startedAt: Date;
  durationMs: number;
  fault?: FaultType;
  outage?: boolean;
  accepted: boolean;
  errorCode?: string;
}

export class RequestLog {
  private entries: RequestLogEntry[] = [];
  private seq = 0;

  record(r: LoggedRequest): void {
    this.seq += 1;
    this.entries.push({
      seq: this.seq,
      method: r.method,
      path: r.path,
      status: r.status,
      at: r.startedAt.toISOString(),
      durationMs: r.durationMs,
      ...(r.fault !== undefined ? { fault: r.fault } : {}),
      ...(r.outage ? { outage: true } : {}),
      accepted: r.accepted,
      ...(r.errorCode !== undefined ? { errorCode: r.errorCode } : {}),
    });
  }

  list(): RequestLogEntry[] {
    return this.entries.map((e) => ({ ...e }));
  }

  clear(): void {
    this.entries = [];
    this.seq = 0;
  }
}
