/**
 * Seeded generator of application source trees for `npm run bench` (issue 7): services in Go, TypeScript,
 * JavaScript, Python and Java, each file either with one of the patterns the source rules look for (an HTTP
 * client built per request, keep-alive disabled, a database client per request, a retry loop) or the healthy
 * form (a shared client). About a third of the files carry a pattern. Output is a function of (files, seed).
 *
 * To benchmark another language's scanner, add its templates here and a scanner entry in
 * `scripts/bench/scan-source.ts`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Random } from './random.js';

/** Languages the generator writes, with their file extension. */
export const SOURCE_LANGUAGES = { typescript: '.ts', javascript: '.js', go: '.go', python: '.py', java: '.java' } as const;
export type GeneratedLanguage = keyof typeof SOURCE_LANGUAGES;

/** What was written. */
export interface GeneratedSource {
  /** Relative paths, per language. */
  files: Record<GeneratedLanguage, string[]>;
  /** Files with a pattern, per language. */
  withPattern: Record<GeneratedLanguage, number>;
  bytes: number;
}

type Template = (name: string, host: string, rnd: Random) => string;

/** Filler code that every file has (handlers, helpers): makes files of realistic size (80–200 lines). */
function tsFiller(name: string, rnd: Random): string {
  const lines: string[] = [];
  const n = rnd.int(4, 12);
  for (let i = 0; i < n; i++) {
    lines.push(`export function transform${name}${i}(input: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    if (typeof value === 'string') out[key] = value.trim().toLowerCase();
    else if (Array.isArray(value)) out[key] = value.slice(0, ${rnd.int(5, 50)});
    else out[key] = value;
  }
  return out;
}
`);
  }
  return lines.join('\n');
}

const TS: Record<'bad' | 'ok', Template[]> = {
  bad: [
    (name, host) => `import express from 'express';
import https from 'node:https';
import axios from 'axios';

const app = express();
app.get('/${name}', async (req, res) => {
  const agent = new https.Agent({ keepAlive: false });
  const r = await axios.get('https://${host}/v1/${name}', { httpsAgent: agent });
  res.json(r.data);
});
`,
    (name, host) => `import express from 'express';
import { Client } from 'pg';

export const router = express.Router();
router.post('/${name}', async (req, res) => {
  const db = new Client({ connectionString: process.env.DATABASE_URL });
  await db.connect();
  const rows = await db.query('select 1');
  await db.end();
  const upstream = await fetch('http://${host}/v1/${name}', { headers: { Connection: 'close' } });
  res.json({ rows: rows.rowCount, upstream: upstream.status });
});
`,
  ],
  ok: [
    (name, host) => `import express from 'express';
import https from 'node:https';
import axios from 'axios';

const agent = new https.Agent({ keepAlive: true, maxSockets: 64 });
const client = axios.create({ baseURL: 'https://${host}', httpsAgent: agent });
const app = express();
app.get('/${name}', async (req, res) => {
  const r = await client.get('/v1/${name}');
  res.json(r.data);
});
`,
  ],
};

const GO: Record<'bad' | 'ok', Template[]> = {
  bad: [
    (name, host) => `package ${name.replace(/[^a-z]/g, '')}

import (
\t"io"
\t"net/http"
)

func Handle${name.replace(/[^a-zA-Z]/g, '')}(w http.ResponseWriter, r *http.Request) {
\tclient := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
\tresp, err := client.Get("https://${host}/v1/items")
\tif err != nil {
\t\thttp.Error(w, err.Error(), 502)
\t\treturn
\t}
\tio.Copy(w, resp.Body)
}
`,
  ],
  ok: [
    (name, host) => `package ${name.replace(/[^a-z]/g, '')}

import (
\t"io"
\t"net/http"
)

var client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

func Handle${name.replace(/[^a-zA-Z]/g, '')}(w http.ResponseWriter, r *http.Request) {
\tresp, err := client.Get("https://${host}/v1/items")
\tif err != nil {
\t\thttp.Error(w, err.Error(), 502)
\t\treturn
\t}
\tdefer resp.Body.Close()
\tio.Copy(w, resp.Body)
}
`,
  ],
};

const PY: Record<'bad' | 'ok', Template[]> = {
  bad: [
    (name, host) => `import requests
from flask import Flask

app = Flask(__name__)

@app.route("/${name}")
def ${name.replace(/[^a-z]/g, '_')}():
    session = requests.Session()
    for attempt in range(5):
        r = session.get("https://${host}/v1/items", headers={"Connection": "close"})
        if r.ok:
            return r.json()
    return {}, 502
`,
  ],
  ok: [
    (name, host) => `import requests
from flask import Flask

app = Flask(__name__)
session = requests.Session()

@app.route("/${name}")
def ${name.replace(/[^a-z]/g, '_')}():
    return session.get("https://${host}/v1/items").json()
`,
  ],
};

const JAVA: Record<'bad' | 'ok', Template[]> = {
  bad: [
    (name, host) => `package com.example.${name.replace(/[^a-z]/g, '')};

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

public class ${name.replace(/[^a-zA-Z]/g, '')}Handler {
    public String handle() throws Exception {
        HttpClient client = HttpClient.newHttpClient();
        HttpRequest request = HttpRequest.newBuilder(URI.create("https://${host}/v1/items")).build();
        return client.send(request, HttpResponse.BodyHandlers.ofString()).body();
    }
}
`,
  ],
  ok: [
    (name, host) => `package com.example.${name.replace(/[^a-z]/g, '')};

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

public class ${name.replace(/[^a-zA-Z]/g, '')}Handler {
    private static final HttpClient CLIENT = HttpClient.newHttpClient();

    public String handle() throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create("https://${host}/v1/items")).build();
        return CLIENT.send(request, HttpResponse.BodyHandlers.ofString()).body();
    }
}
`,
  ],
};

/**
 * Writes `files` source files under `dir` (`<language>/svc-<n>/<file>`), languages in the proportions TS 30 %,
 * JS 15 %, Go 25 %, Python 15 %, Java 15 %. Throws on file-system errors.
 */
export function writeSourceTree(dir: string, spec: { files: number; seed: number }): GeneratedSource {
  const rnd = new Random(spec.seed);
  const result: GeneratedSource = {
    files: { typescript: [], javascript: [], go: [], python: [], java: [] },
    withPattern: { typescript: 0, javascript: 0, go: 0, python: 0, java: 0 },
    bytes: 0,
  };
  for (let i = 0; i < spec.files; i++) {
    const p = rnd.next();
    const language: GeneratedLanguage = p < 0.3 ? 'typescript' : p < 0.45 ? 'javascript' : p < 0.7 ? 'go' : p < 0.85 ? 'python' : 'java';
    const bad = rnd.chance(1 / 3);
    const name = `svc${String(i).padStart(5, '0')}`;
    const host = `api-${rnd.int(0, 500)}.example.com`;
    const templates = language === 'go' ? GO : language === 'python' ? PY : language === 'java' ? JAVA : TS;
    let text = rnd.pick(bad ? templates.bad : templates.ok)(name, host, rnd);
    if (language === 'typescript') text += `\n${tsFiller(name, rnd)}`;
    if (language === 'javascript') text = text.replace(/: Record<string, unknown>/g, '') + `\n${tsFiller(name, rnd).replace(/: Record<string, unknown>/g, '')}`;
    const file = join(language, `svc-${String(Math.floor(i / 10)).padStart(4, '0')}`, `${name}${SOURCE_LANGUAGES[language]}`);
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), text);
    result.files[language].push(file);
    if (bad) result.withPattern[language]++;
    result.bytes += Buffer.byteLength(text);
  }
  return result;
}
