/**
 * One hop across files, shared by the scanners: the records each scanner leaves per file (functions that build a
 * client or open a connection on every call; calls of functions defined elsewhere in code that runs per request
 * or per iteration) and their join into findings. Scanners compute the records (treesitter/cross-file.ts for
 * Go/Python/Java, eslint/cross-file.ts for JavaScript/TypeScript); no syntax tree outlives its file.
 */
import type { Finding } from '../types.js';
import { findingAtPosition } from './treesitter/report.js';

const TIME_WAIT = 'each closed connection holds an ephemeral port in TIME_WAIT for 60 s';

/** A function that builds a client or opens a connection each time it is called. */
export interface Factory {
  key: string;
  /** Function name as called (`getConnection`, `get_connection`, `newClient`). */
  name: string;
  file: string;
  line: number;
  column: number;
  ruleId: string;
  /** What is built (`DriverManager.getConnection(...)`) and the rule's evidence. */
  what: string;
  evidence: string;
  /** `request`: a throwaway-connection request per call (requests.get); `build`: a client/connection returned. */
  kind: 'build' | 'request';
}

/** A call, in code that runs per request or per iteration, of a function defined in another file. */
export interface RepeatedCall {
  /** Keys the callee may resolve to, most specific first. */
  keys: string[];
  name: string;
  file: string;
  line: number;
  column: number;
  /** Why the call runs per request (`in request handler doGet`). */
  reason: string;
}

/** The records one file contributes. */
export interface CrossFileRecords {
  factories: Factory[];
  calls: RepeatedCall[];
}

/**
 * Joins the records of every file of one run: a finding at each repeated call of a factory defined in another
 * file (with the definition's location) and one at each such factory (with its first call site). Linear in the
 * number of records.
 */
export function crossFileFindings(records: readonly CrossFileRecords[]): Finding[] {
  const factories = new Map<string, Factory>();
  for (const r of records) for (const f of r.factories) if (!factories.has(f.key)) factories.set(f.key, f);
  const out: Finding[] = [];
  const reportedDefinitions = new Set<string>();
  for (const r of records) {
    for (const c of r.calls) {
      const f = c.keys.map((k) => factories.get(k)).find((x) => !!x && x.file !== c.file);
      if (!f) continue;
      const def = `${f.file}:${f.line}`;
      const opens = f.ruleId === 'db-client-per-request' ? 'a new database connection' : 'new connections';
      const built = f.kind === 'request' ? `makes a request through ${f.what} (${f.evidence})` : `builds ${f.what} (${f.evidence}) and returns it`;
      const hint =
        f.ruleId === 'db-client-per-request'
          ? 'create one pool/client at start-up and have the helper borrow connections from it'
          : 'create the client once (package/module level, constructor, main, lifespan or a bean) and have the helper return the shared one';
      out.push(
        findingAtPosition(c.file, c, f.ruleId, `${c.name}() is called ${c.reason}, and ${f.name}() (defined at ${def}) ${built} on every call: every request opens ${opens} instead of reusing pooled ones, and ${TIME_WAIT}`, { hint, value: `${f.name}()` }),
      );
      if (reportedDefinitions.has(f.key)) continue;
      reportedDefinitions.add(f.key);
      out.push(
        findingAtPosition(f.file, f, f.ruleId, `${f.what} (${f.evidence}) runs on every call of ${f.name}(), which ${c.file}:${c.line} calls ${c.reason}: every request opens ${opens}, and ${TIME_WAIT}`, { hint, value: f.what }),
      );
    }
  }
  return out;
}
