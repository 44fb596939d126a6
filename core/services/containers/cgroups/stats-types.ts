/**
 * Docker's `GET /containers/{id}/stats` answer (moby `api/types/container.StatsResponse`), with
 * the same field presence: moby marks some fields omitempty and others not, and clients such as
 * the docker CLI read them as they are.
 */

/** `cpu_stats` / `precpu_stats`. Times in nanoseconds. */
export interface CpuStats {
  cpu_usage: { total_usage: number; percpu_usage?: number[]; usage_in_kernelmode: number; usage_in_usermode: number };
  system_cpu_usage?: number;
  online_cpus?: number;
  throttling_data: { periods: number; throttled_periods: number; throttled_time: number };
}

/** `memory_stats`; every field is omitempty in moby. */
export interface MemoryStats {
  usage?: number;
  max_usage?: number;
  stats?: Record<string, number>;
  failcnt?: number;
  limit?: number;
}

/** One `blkio_stats` row. */
export interface BlkioEntry {
  major: number;
  minor: number;
  op: string;
  value: number;
}

/** `blkio_stats`: lists are never omitted (null when unknown), as in moby. */
export interface BlkioStats {
  io_service_bytes_recursive: BlkioEntry[] | null;
  io_serviced_recursive: BlkioEntry[] | null;
  io_queue_recursive: BlkioEntry[] | null;
  io_service_time_recursive: BlkioEntry[] | null;
  io_wait_time_recursive: BlkioEntry[] | null;
  io_merged_recursive: BlkioEntry[] | null;
  io_time_recursive: BlkioEntry[] | null;
  sectors_recursive: BlkioEntry[] | null;
}

/** One interface in `networks`. */
export interface NetworkStats {
  rx_bytes: number;
  rx_packets: number;
  rx_errors: number;
  rx_dropped: number;
  tx_bytes: number;
  tx_packets: number;
  tx_errors: number;
  tx_dropped: number;
}

/** The whole answer. */
export interface StatsResponse {
  name: string;
  id: string;
  read: string;
  preread: string;
  pids_stats: { current?: number; limit?: number };
  blkio_stats: BlkioStats;
  num_procs: number;
  storage_stats: Record<string, never>;
  cpu_stats: CpuStats;
  precpu_stats: CpuStats;
  memory_stats: MemoryStats;
  networks?: Record<string, NetworkStats>;
}

/** Go's zero `time.Time` as encoding/json writes it: what moby sends for a missing `read`/`preread`. */
export const ZERO_TIME = '0001-01-01T00:00:00Z';

/** CPU stats with nothing measured. */
export function emptyCpuStats(): CpuStats {
  return {
    cpu_usage: { total_usage: 0, usage_in_kernelmode: 0, usage_in_usermode: 0 },
    throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 },
  };
}

/** Block I/O stats with nothing measured. */
export function emptyBlkioStats(): BlkioStats {
  return {
    io_service_bytes_recursive: null, io_serviced_recursive: null, io_queue_recursive: null, io_service_time_recursive: null,
    io_wait_time_recursive: null, io_merged_recursive: null, io_time_recursive: null, sectors_recursive: null,
  };
}

/** What moby answers for a container that is not running: only its name and ID are set. */
export function emptyStats(name: string, id: string): StatsResponse {
  return {
    name, id, read: ZERO_TIME, preread: ZERO_TIME, pids_stats: {}, blkio_stats: emptyBlkioStats(), num_procs: 0,
    storage_stats: {}, cpu_stats: emptyCpuStats(), precpu_stats: emptyCpuStats(), memory_stats: {},
  };
}
