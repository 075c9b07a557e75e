/**
 * INFO: Redis 7.0's sections and field names, with Keel's real figures. Persistence
 * registers its own "persistence" provider; until then the section reports the state of a
 * server that has never saved.
 */
import fs from 'node:fs';
import os from 'node:os';
import type { Server } from './server';
import { REDIS_VERSION, KEEL_VERSION } from './server';
import { uniqueCommands } from '../commands/registry';
import { percentilesLine } from './latency-histogram';

type Fields = [string, string | number][];

const DEFAULT_SECTIONS = ['server', 'clients', 'memory', 'persistence', 'stats', 'replication', 'cpu', 'modules', 'errorstats', 'cluster', 'keyspace'];
const ALL_EXTRA = ['commandstats', 'latencystats'];
/** the order Redis 7.0 prints sections in */
const ORDER = ['server', 'clients', 'memory', 'persistence', 'stats', 'replication', 'cpu', 'modules', 'commandstats', 'errorstats', 'latencystats', 'cluster', 'keyspace'];

export function bytesToHuman(n: number): string {
  if (n < 1024) return `${n}B`;
  const units = ['K', 'M', 'G', 'T', 'P'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(2)}${units[i]}`;
}

function serverSection(s: Server): Fields {
  const now = Date.now();
  const up = Math.floor((now - s.stats.startTime) / 1000);
  return [
    ['redis_version', REDIS_VERSION],
    ['redis_git_sha1', '00000000'],
    ['redis_git_dirty', 0],
    ['redis_build_id', '0'],
    ['redis_mode', 'standalone'],
    ['keel_version', KEEL_VERSION],
    ['os', `${os.type()} ${os.release()} ${os.arch()}`],
    ['arch_bits', process.arch.includes('64') ? 64 : 32],
    ['monotonic_clock', 'POSIX clock_gettime'],
    ['multiplexing_api', 'libuv'],
    ['atomicvar_api', 'none'],
    ['gcc_version', '0.0.0'],
    ['node_version', process.versions.node],
    ['process_id', process.pid],
    ['process_supervised', 'no'],
    ['run_id', s.runId],
    ['tcp_port', s.port],
    ['server_time_usec', now * 1000],
    ['uptime_in_seconds', up],
    ['uptime_in_days', Math.floor(up / 86400)],
    ['hz', s.settings.hz],
    ['configured_hz', s.config.num('hz')],
    ['lru_clock', s.keyspace.lruClock],
    ['executable', process.argv[1] ?? process.execPath],
    ['config_file', s.config.configFile ?? ''],
    ['io_threads_active', 0],
  ];
}

function clientsSection(s: Server): Fields {
  let maxIn = 0;
  let maxOut = 0;
  for (const c of s.clients.values()) {
    maxIn = Math.max(maxIn, c.parser.buffered);
    maxOut = Math.max(maxOut, c.pendingOutput);
  }
  return [
    ['connected_clients', s.clients.size],
    ['cluster_connections', 0],
    ['maxclients', s.settings.maxclients],
    ['client_recent_max_input_buffer', maxIn],
    ['client_recent_max_output_buffer', maxOut],
    ['blocked_clients', s.blocking.count + s.pausedClients.length],
    ['tracking_clients', 0],
    ['clients_in_timeout_table', s.blocking.withTimeout],
  ];
}

function memorySection(s: Server): Fields {
  const m = process.memoryUsage();
  const used = m.heapUsed + m.external;
  if (used > s.peakMemory) s.peakMemory = used;
  const total = os.totalmem();
  let clientsMem = 0;
  for (const c of s.clients.values()) clientsMem += c.parser.buffered + c.pendingOutput + c.socket.writableLength;
  const aofBuf = s.aof?.bufferLength ?? 0;
  const startup = Math.min(s.startupMemory, used);
  const overhead = Math.min(used, startup + clientsMem + aofBuf);
  const dataset = used - overhead;
  return [
    ['used_memory', used],
    ['used_memory_human', bytesToHuman(used)],
    ['used_memory_rss', m.rss],
    ['used_memory_rss_human', bytesToHuman(m.rss)],
    ['used_memory_peak', s.peakMemory],
    ['used_memory_peak_human', bytesToHuman(s.peakMemory)],
    ['used_memory_peak_perc', `${((used / s.peakMemory) * 100).toFixed(2)}%`],
    ['used_memory_overhead', overhead],
    ['used_memory_startup', startup],
    ['used_memory_dataset', dataset],
    ['used_memory_dataset_perc', `${used > startup ? ((dataset * 100) / (used - startup)).toFixed(2) : '0.00'}%`],
    ['total_system_memory', total],
    ['total_system_memory_human', bytesToHuman(total)],
    ['used_memory_heap_total', m.heapTotal],
    ['used_memory_external', m.external],
    ['used_memory_array_buffers', m.arrayBuffers],
    ['maxmemory', 0],
    ['maxmemory_human', '0B'],
    ['maxmemory_policy', s.config.str('maxmemory-policy')],
    ['mem_fragmentation_ratio', (m.rss / Math.max(1, used)).toFixed(2)],
    ['mem_fragmentation_bytes', m.rss - used],
    ['mem_not_counted_for_evict', aofBuf],
    // no replicas, no cluster: nothing held for them
    ['mem_replication_backlog', 0],
    ['mem_total_replication_buffers', 0],
    ['mem_clients_slaves', 0],
    ['mem_clients_normal', clientsMem],
    ['mem_cluster_links', 0],
    ['mem_aof_buffer', aofBuf],
    ['mem_allocator', 'v8'],
    ['active_defrag_running', 0],
    ['lazyfree_pending_objects', 0],
    ['lazyfreed_objects', 0],
  ];
}

/** A server that has not saved yet; replaced by the persistence module's provider. */
function persistenceSection(s: Server): Fields {
  return [
    ['loading', s.loading ? 1 : 0],
    ['async_loading', 0],
    ['current_cow_peak', 0],
    ['current_cow_size', 0],
    ['current_fork_perc', '0.00'],
    ['current_save_keys_processed', 0],
    ['current_save_keys_total', 0],
    ['rdb_changes_since_last_save', s.keyspace.dirty],
    ['rdb_bgsave_in_progress', 0],
    ['rdb_last_save_time', s.lastSaveTime],
    ['rdb_last_bgsave_status', 'ok'],
    ['rdb_last_bgsave_time_sec', -1],
    ['rdb_current_bgsave_time_sec', -1],
    ['rdb_saves', 0],
    ['rdb_last_cow_size', 0],
    ['aof_enabled', 0],
    ['aof_rewrite_in_progress', 0],
    ['aof_rewrite_scheduled', 0],
    ['aof_last_rewrite_time_sec', -1],
    ['aof_current_rewrite_time_sec', -1],
    ['aof_last_bgrewrite_status', 'ok'],
    ['aof_rewrites', 0],
    ['aof_last_write_status', 'ok'],
  ];
}

function statsSection(s: Server): Fields {
  const st = s.stats;
  const ks = s.keyspace.stats;
  const avg = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
  // Redis 7.0's fields in its order; machinery Keel lacks (replicas, eviction, forks, defrag,
  // client tracking, I/O threads, reply buffer resizing) shows 0
  return [
    ['total_connections_received', st.connectionsReceived],
    ['total_commands_processed', st.commandsProcessed],
    ['instantaneous_ops_per_sec', Math.round(avg(st.opsSamples))],
    ['total_net_input_bytes', st.netInputBytes],
    ['total_net_output_bytes', st.netOutputBytes],
    ['total_net_repl_input_bytes', 0],
    ['total_net_repl_output_bytes', 0],
    ['instantaneous_input_kbps', (avg(st.inputSamples) / 1024).toFixed(2)],
    ['instantaneous_output_kbps', (avg(st.outputSamples) / 1024).toFixed(2)],
    ['instantaneous_input_repl_kbps', '0.00'],
    ['instantaneous_output_repl_kbps', '0.00'],
    ['rejected_connections', st.rejectedConnections],
    ['sync_full', 0],
    ['sync_partial_ok', 0],
    ['sync_partial_err', 0],
    ['expired_keys', ks.expiredKeys],
    ['expired_stale_perc', (ks.expiredStalePerc * 100).toFixed(2)],
    ['expired_time_cap_reached_count', ks.expiredTimeCapReached],
    ['expire_cycle_cpu_milliseconds', Math.round(st.expireCycleMs)],
    ['evicted_keys', 0],
    ['evicted_clients', 0],
    ['total_eviction_exceeded_time', 0],
    ['current_eviction_exceeded_time', 0],
    ['keyspace_hits', ks.keyspaceHits],
    ['keyspace_misses', ks.keyspaceMisses],
    ['pubsub_channels', s.pubsub.channels.size],
    ['pubsub_patterns', s.pubsub.patterns.size],
    ['pubsubshard_channels', s.pubsub.shardChannels.size],
    ['latest_fork_usec', 0],
    ['total_forks', 0],
    ['migrate_cached_sockets', 0],
    ['slave_expires_tracked_keys', 0],
    ['active_defrag_hits', 0],
    ['active_defrag_misses', 0],
    ['active_defrag_key_hits', 0],
    ['active_defrag_key_misses', 0],
    ['total_active_defrag_time', 0],
    ['current_active_defrag_time', 0],
    ['tracking_total_keys', 0],
    ['tracking_total_items', 0],
    ['tracking_total_prefixes', 0],
    ['unexpected_error_replies', 0],
    ['total_error_replies', st.errorReplies],
    ['dump_payload_sanitizations', 0],
    ['total_reads_processed', st.readsProcessed],
    ['total_writes_processed', st.writesProcessed],
    ['io_threaded_reads_processed', 0],
    ['io_threaded_writes_processed', 0],
    ['reply_buffer_shrinks', 0],
    ['reply_buffer_expands', 0],
  ];
}

function replicationSection(s: Server): Fields {
  return [
    ['role', 'master'],
    ['connected_slaves', 0],
    ['master_failover_state', 'no-failover'],
    ['master_replid', s.replId],
    ['master_replid2', '0000000000000000000000000000000000000000'],
    ['master_repl_offset', 0],
    ['second_repl_offset', -1],
    ['repl_backlog_active', 0],
    ['repl_backlog_size', s.config.num('repl-backlog-size')],
    ['repl_backlog_first_byte_offset', 0],
    ['repl_backlog_histlen', 0],
  ];
}

function cpuSection(): Fields {
  const u = process.cpuUsage();
  const fields: Fields = [
    ['used_cpu_sys', (u.system / 1e6).toFixed(6)],
    ['used_cpu_user', (u.user / 1e6).toFixed(6)],
    ['used_cpu_sys_children', '0.000000'],
    ['used_cpu_user_children', '0.000000'],
  ];
  const main = mainThreadCpu();
  if (main !== null) fields.push(['used_cpu_sys_main_thread', main.sys.toFixed(6)], ['used_cpu_user_main_thread', main.user.toFixed(6)]);
  return fields;
}

/**
 * CPU seconds of the main thread alone (the process total includes the snapshot writer and
 * the thread pool's fsyncs), from /proc: null where there is no /proc.
 */
function mainThreadCpu(): { user: number; sys: number } | null {
  try {
    const stat = fs.readFileSync(`/proc/self/task/${process.pid}/stat`, 'latin1');
    // fields after the command name, which is in parentheses and may hold spaces
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { user: Number(f[11]) / CLOCK_TICKS, sys: Number(f[12]) / CLOCK_TICKS };
  } catch {
    return null;
  }
}
/** USER_HZ: the unit of /proc times, 100 on every Linux architecture Node runs on */
const CLOCK_TICKS = 100;

function errorstatsSection(s: Server): Fields {
  // in byte order, as Redis's radix tree of error codes lists them
  return [...s.stats.errorsByCode].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([code, n]) => [`errorstat_${code}`, `count=${n}`]);
}

function commandstatsSection(s: Server): Fields {
  const out: Fields = [];
  const add = (name: string, c: { calls: number; usec: number; rejectedCalls: number; failedCalls: number }) => {
    if (c.calls === 0 && c.rejectedCalls === 0 && c.failedCalls === 0) return;
    const per = c.calls ? (c.usec / c.calls).toFixed(2) : '0.00';
    out.push([`cmdstat_${name}`, `calls=${c.calls},usec=${c.usec},usec_per_call=${per},rejected_calls=${c.rejectedCalls},failed_calls=${c.failedCalls}`]);
  };
  for (const cmd of uniqueCommands(s.commands)) {
    add(cmd.name, cmd);
    if (cmd.subcommands) for (const sub of cmd.subcommands.values()) add(sub.fullName, sub);
  }
  return out;
}

function latencystatsSection(s: Server): Fields {
  const out: Fields = [];
  if (!s.settings.latencyTracking) return out;
  const pct = s.settings.latencyPercentiles;
  for (const cmd of uniqueCommands(s.commands)) {
    for (const x of [cmd, ...(cmd.subcommands ? cmd.subcommands.values() : [])]) {
      if (x.latency !== null) out.push([`latency_percentiles_usec_${x.fullName}`, percentilesLine(x.latency, pct)]);
    }
  }
  return out;
}

function keyspaceSection(s: Server): Fields {
  const out: Fields = [];
  for (const db of s.keyspace.dbs) {
    if (db.dict.size === 0) continue;
    out.push([`db${db.id}`, `keys=${db.dict.size},expires=${db.expires.size},avg_ttl=${Math.round(db.avgTtl)}`]);
  }
  return out;
}

const BUILDERS: Record<string, (s: Server) => Fields> = {
  server: serverSection,
  clients: clientsSection,
  memory: memorySection,
  persistence: persistenceSection,
  stats: statsSection,
  replication: replicationSection,
  cpu: cpuSection,
  modules: () => [],
  errorstats: errorstatsSection,
  cluster: () => [['cluster_enabled', 0]],
  keyspace: keyspaceSection,
  commandstats: commandstatsSection,
  latencystats: latencystatsSection,
};

const TITLES: Record<string, string> = {
  server: 'Server', clients: 'Clients', memory: 'Memory', persistence: 'Persistence', stats: 'Stats',
  replication: 'Replication', cpu: 'CPU', modules: 'Modules', errorstats: 'Errorstats', cluster: 'Cluster',
  keyspace: 'Keyspace', commandstats: 'Commandstats', latencystats: 'Latencystats',
};

/** The INFO text for the requested section names (none = default). */
export function infoText(s: Server, args: string[]): string {
  let wanted: string[];
  // module_list is Redis's other name for the modules section
  const lower = args.map((a) => (a.toLowerCase() === 'module_list' ? 'modules' : a.toLowerCase()));
  if (lower.length === 0 || lower.includes('default')) wanted = [...DEFAULT_SECTIONS];
  else wanted = [];
  if (lower.includes('all') || lower.includes('everything')) wanted = [...DEFAULT_SECTIONS, ...ALL_EXTRA];
  for (const a of lower) if (BUILDERS[a] && !wanted.includes(a)) wanted.push(a);
  wanted.sort((a, b) => ORDER.indexOf(a) - ORDER.indexOf(b));
  let out = '';
  let n = 0;
  for (const name of wanted) {
    const provider = s.infoProviders.get(name);
    const fields = provider ? provider() : BUILDERS[name](s);
    if (n++) out += '\r\n';
    out += `# ${TITLES[name]}\r\n`;
    for (const [k, v] of fields) out += `${k}:${v}\r\n`;
  }
  return out;
}
