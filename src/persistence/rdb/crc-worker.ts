/** Worker side of parallel-crc.ts: CRC64 of data[0, end), stored into `result`. */
import { workerData } from 'node:worker_threads';
import { Crc64 } from './crc64';

const { data, end, result } = workerData as { data: SharedArrayBuffer; end: number; result: Int32Array };
try {
  const crc = new Crc64().update(new Uint8Array(data), 0, end);
  Atomics.store(result, 1, crc.lo | 0);
  Atomics.store(result, 2, crc.hi | 0);
  Atomics.store(result, 0, 1);
} catch {
  Atomics.store(result, 0, 2);
}
Atomics.notify(result, 0);
