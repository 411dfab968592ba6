// The peers of bench_server's drain (bench/peers/README.md): graphile-worker and pg-boss
// enqueue and complete the same number of no-op jobs on the same PostgreSQL, each in a fresh
// database of its own, measured the way POP's drain rows are: `--clients` enqueuers insert
// `--jobs` jobs (one transaction each) while a worker process with `--concurrency` slots runs
// them; enqueue time is until the last insert is committed, drain time is from the first
// insert until no job is left unfinished (polled every 20 ms). With --sequential the worker
// starts only once every job is in, and drain time is from its start: the worker alone.
//
//   node run.mjs --host SOCKET_DIR [--port 5432] [--user postgres] [--database postgres]
//                [--jobs 1000] [--concurrency 16] [--clients 8] [--peers a,b] [--sequential]
//                [--json]
//
// --database is only connected to for CREATE/DROP DATABASE pop_peer_*. One line per peer:
// a table row, or with --json an object. No network but the PostgreSQL named.
import { fork } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

import { Logger, makeWorkerUtils, run } from "graphile-worker";
import pg from "pg";
import PgBoss from "pg-boss";

const require = createRequire(import.meta.url);
const version = (name) => JSON.parse(readFileSync(require.resolve(`${name}/package.json`))).version;
const quietLogger = new Logger(() => () => {});
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
// A pool whose idle connections may be cut (DROP DATABASE ... WITH (FORCE) at the end) must
// not take the process down with an unhandled 'error' event.
function newPool(config) {
  const pool = new pg.Pool(config);
  pool.on("error", () => {});
  pool.on("connect", (client) => client.on("error", () => {}));
  return pool;
}

// Each peer: how its worker runs (in a child process), how jobs are enqueued, and SQL that
// tells how many jobs are still to finish and how many finished well.
const peers = {
  // The default worker loop: each of `concurrency` workers takes one job (get_job), runs it
  // and completes it (complete_job); woken by LISTEN/NOTIFY. Enqueue: addJob, one per call.
  "graphile-worker": {
    package: "graphile-worker",
    async startWorker(connection, concurrency, onJob) {
      return startGraphile(connection, concurrency, onJob, undefined);
    },
    enqueuer: graphileEnqueuer(false),
    unfinishedSql: "SELECT count(*) FROM graphile_worker._private_jobs",
  },
  // Graphile-worker's batching: a local queue fetches and locks jobs in batches, completions
  // are batched (completeJobBatchDelay 0), and jobs are enqueued with addJobs in bulk.
  "graphile-worker batched": {
    package: "graphile-worker",
    async startWorker(connection, concurrency, onJob) {
      return startGraphile(connection, concurrency, onJob, {
        worker: { localQueue: { size: 4 * concurrency }, completeJobBatchDelay: 0 },
      });
    },
    enqueuer: graphileEnqueuer(true),
    unfinishedSql: "SELECT count(*) FROM graphile_worker._private_jobs",
  },
  // `concurrency` work() subscriptions, each fetching one job (teamSize 1), running it and
  // completing it. pg-boss 9 polls, with no NOTIFY: 100 ms is its shortest interval (the
  // default is 2 s), and a worker waits out the rest of the interval after each job.
  "pg-boss": {
    package: "pg-boss",
    async startWorker(connection, concurrency, onJob) {
      const boss = new PgBoss({ ...connection, max: concurrency + 2 });
      boss.on("error", (error) => console.error("pg-boss:", error.message));
      await boss.start();
      for (let i = 0; i < concurrency; ++i) {
        await boss.work("noop", { teamSize: 1, teamConcurrency: 1, newJobCheckInterval: 100 },
                        async () => onJob());
      }
      return () => boss.stop({ graceful: false, destroy: true });
    },
    async enqueuer(connection, clients) {
      const boss = new PgBoss({ ...connection, max: clients, noSupervisor: true,
                                noScheduling: true });
      boss.on("error", (error) => console.error("pg-boss:", error.message));
      await boss.start();
      return {
        enqueue: async (count) => {
          for (let i = 0; i < count; ++i) await boss.send("noop", {});
        },
        batch: 1,
        close: () => boss.stop({ graceful: false, destroy: true }),
      };
    },
    unfinishedSql:
        "SELECT count(*) FROM pgboss.job WHERE name = 'noop' AND state IN ('created', 'retry', 'active')",
    succeededSql: "SELECT count(*) FROM pgboss.job WHERE name = 'noop' AND state = 'completed'",
  },
};

async function startGraphile(connection, concurrency, onJob, preset) {
  // Graphile-worker's advice for the pool: concurrency + 2 (one LISTEN connection).
  const pool = newPool({ ...connection, max: concurrency + 2 });
  const runner = await run({
    pgPool: pool,
    concurrency,
    noHandleSignals: true,
    logger: quietLogger,
    taskList: { noop: async () => onJob() },
    preset,
  });
  return async () => {
    await runner.stop();
    await pool.end();
  };
}

function graphileEnqueuer(bulk) {
  return async (connection, clients) => {
    const pool = newPool({ ...connection, max: clients });
    const utils = await makeWorkerUtils({ pgPool: pool, logger: quietLogger });
    await utils.migrate();  // with --sequential the worker has not installed the schema yet
    const batch = bulk ? 500 : 1;
    return {
      enqueue: async (count) => {
        if (bulk) {
          await utils.addJobs(Array.from({ length: count }, () => ({ identifier: "noop", payload: {} })));
        } else {
          for (let i = 0; i < count; ++i) await utils.addJob("noop", {});
        }
      },
      batch,
      close: async () => {
        await utils.release();
        await pool.end();
      },
    };
  };
}

function parseArguments(argv) {
  const options = { port: 5432, user: "postgres", database: "postgres", jobs: 1000,
                    concurrency: 16, clients: 8, peers: Object.keys(peers), json: false,
                    sequential: false };
  for (let i = 0; i < argv.length; ++i) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (flag === "--json") { options.json = true; continue; }
    if (flag === "--sequential") { options.sequential = true; continue; }
    if (value === undefined) throw new Error(`${flag} needs a value`);
    ++i;
    if (flag === "--host") options.host = value;
    else if (flag === "--port") options.port = Number(value);
    else if (flag === "--user") options.user = value;
    else if (flag === "--database") options.database = value;
    else if (flag === "--jobs") options.jobs = Number(value);
    else if (flag === "--concurrency") options.concurrency = Number(value);
    else if (flag === "--clients") options.clients = Number(value);
    else if (flag === "--peers") options.peers = value.split(",");
    else throw new Error(`unknown option ${flag}`);
  }
  if (!options.host) throw new Error("--host SOCKET_DIR is required");
  for (const key of ["jobs", "concurrency", "clients"]) {
    if (!Number.isInteger(options[key]) || options[key] < 1) throw new Error(`--${key} must be >= 1`);
  }
  for (const name of options.peers) if (!peers[name]) throw new Error(`unknown peer ${name}`);
  return options;
}

async function scalar(pool, sql) {
  return Number((await pool.query(sql)).rows[0].count);
}

// `clients` loops claim chunks of `batch` jobs until `jobs` are enqueued.
async function enqueueAll(enqueuer, jobs, clients) {
  let claimed = 0;
  const loop = async () => {
    while (claimed < jobs) {
      const count = Math.min(enqueuer.batch, jobs - claimed);
      claimed += count;
      await enqueuer.enqueue(count);
    }
  };
  await Promise.all(Array.from({ length: clients }, loop));
}

// Starts the worker child and resolves once it reports ready; rejects if it dies first.
function startWorkerProcess(name, connection, concurrency) {
  const child = fork(fileURLToPath(import.meta.url),
                     ["--worker", name, JSON.stringify(connection), String(concurrency)],
                     { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const replies = [];
  let waiting = null;
  child.on("message", (message) => {
    if (waiting) { const resolve = waiting; waiting = null; resolve(message); }
    else replies.push(message);
  });
  const exited = new Promise((resolve) => child.on("exit", (code) => resolve(code)));
  const next = () => Promise.race([
    replies.length ? Promise.resolve(replies.shift()) : new Promise((resolve) => { waiting = resolve; }),
    exited.then((code) => { throw new Error(`${name} worker exited with ${code}`); }),
  ]);
  return {
    ready: next(),
    async count() { child.send("count"); return (await next()).done; },
    async stop() {
      child.send("stop");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function measure(name, options) {
  const peer = peers[name];
  const admin = newPool({ host: options.host, port: options.port, user: options.user,
                              database: options.database, max: 1 });
  const database = "pop_peer_" + name.replace(/[^a-z]+/g, "_");
  await admin.query(`DROP DATABASE IF EXISTS ${database}`);
  await admin.query(`CREATE DATABASE ${database}`);
  const connection = { host: options.host, port: options.port, user: options.user, database };
  const observer = newPool({ ...connection, max: 1 });
  let worker;
  try {
    if (!options.sequential) {
      worker = startWorkerProcess(name, connection, options.concurrency);
      await worker.ready;
    }
    const enqueuer = await peer.enqueuer(connection, options.clients);
    let start = performance.now();
    await enqueueAll(enqueuer, options.jobs, options.clients);
    const enqueueSeconds = (performance.now() - start) / 1000;
    if (options.sequential) {
      worker = startWorkerProcess(name, connection, options.concurrency);
      await worker.ready;
      start = performance.now();
    }
    const giveUp = start + 10 * 60 * 1000;
    while (await scalar(observer, peer.unfinishedSql) > 0) {
      if (performance.now() > giveUp) throw new Error(`${name}: jobs still unfinished after 10 minutes`);
      await sleep(20);
    }
    const drainSeconds = (performance.now() - start) / 1000;
    await enqueuer.close();
    const ran = await worker.count();
    const succeeded = peer.succeededSql ? await scalar(observer, peer.succeededSql) : ran;
    if (ran !== options.jobs || succeeded !== options.jobs) {
      throw new Error(`${name}: ${ran} jobs ran and ${succeeded} succeeded of ${options.jobs}`);
    }
    return { peer: name, version: version(peer.package), jobs: options.jobs,
             concurrency: options.concurrency, clients: options.clients,
             sequential: options.sequential,
             enqueuePerSecond: options.jobs / enqueueSeconds, enqueueSeconds, drainSeconds,
             jobsPerSecond: options.jobs / drainSeconds };
  } finally {
    if (worker) await worker.stop().catch(() => {});
    await observer.end();
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => {});
    await admin.end();
  }
}

// The child: runs one peer's worker until told to stop, counting the jobs its handler ran.
async function workerMain([name, connectionJson, concurrency]) {
  let done = 0;
  const stop = await peers[name].startWorker(JSON.parse(connectionJson), Number(concurrency),
                                             () => { ++done; });
  process.on("message", async (message) => {
    if (message === "count") process.send({ done });
    if (message === "stop") {
      await stop();
      process.exit(0);
    }
  });
  process.send({ ready: true });
}

async function main(argv) {
  if (argv[0] === "--worker") return workerMain(argv.slice(1));
  const options = parseArguments(argv);
  if (!options.json) {
    console.log(`node ${process.version}; ${options.jobs} jobs, ${options.clients} enqueuing ` +
                `clients, worker concurrency ${options.concurrency}` +
                (options.sequential ? ", worker started after the enqueue" : ""));
    console.log(`${"peer".padEnd(32)} ${"jobs".padStart(9)} ${"enqueue/s".padStart(11)} ` +
                `${"enqueue s".padStart(10)} ${"drain s".padStart(10)} ${"jobs/s".padStart(10)}`);
  }
  for (const name of options.peers) {
    const row = await measure(name, options);
    if (options.json) {
      console.log(JSON.stringify(row));
    } else {
      console.log(`${(row.peer + " " + row.version).padEnd(32)} ${String(row.jobs).padStart(9)} ` +
                  `${row.enqueuePerSecond.toFixed(0).padStart(11)} ` +
                  `${row.enqueueSeconds.toFixed(2).padStart(10)} ` +
                  `${row.drainSeconds.toFixed(2).padStart(10)} ${row.jobsPerSecond.toFixed(0).padStart(10)}`);
    }
  }
}

main(process.argv.slice(2)).catch((error) => {
  console.error(`peers: ${error.message}`);
  process.exit(1);
});
