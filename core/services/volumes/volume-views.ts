/**
 * Docker's volume JSON (`GET /volumes/{name}`, list rows, `/system/df` rows) from a record and
 * what its driver says now. Empty labels and options are `null`, as dockerd answers.
 */
import type { DriverVolume } from '@keel/sdk';
import type { VolumeRecord } from './volume-store.js';

/** Docker's `Volume` object. */
export interface VolumeJson {
  CreatedAt: string;
  Driver: string;
  Labels: Record<string, string> | null;
  Mountpoint: string;
  Name: string;
  Options: Record<string, string> | null;
  Scope: 'local' | 'global';
  Status?: Record<string, unknown>;
  UsageData?: { Size: number; RefCount: number };
}

const orNull = (m: Readonly<Record<string, string>>) => (Object.keys(m).length ? { ...m } : null);

/** The volume as Docker shows it; `live` is the driver's current view, when it answered. */
export function volumeJson(rec: VolumeRecord, live?: DriverVolume): VolumeJson {
  const json: VolumeJson = {
    CreatedAt: rec.createdAt,
    Driver: rec.driver,
    Labels: orNull(rec.labels),
    Mountpoint: live?.mountpoint ?? rec.mountpoint ?? '',
    Name: rec.name,
    Options: orNull(rec.options),
    Scope: rec.scope,
  };
  if (live?.status && Object.keys(live.status).length) json.Status = { ...live.status };
  return json;
}

/** Seconds-precision RFC 3339 (dockerd's `CreatedAt`), from a driver's time or now. */
export function createdAt(driverTime?: string): string {
  const t = driverTime ? new Date(driverTime) : new Date();
  return (Number.isNaN(t.getTime()) ? new Date() : t).toISOString().replace(/\.\d+Z$/, 'Z');
}
