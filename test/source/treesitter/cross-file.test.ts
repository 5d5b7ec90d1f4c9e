import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { registerLanguages } from '../../../src/source/treesitter/languages.js';
import { scanFiles } from '../../helpers/treesitter.js';

/** `file:line ruleId` of every finding of the client rules, sorted. */
async function hits(files: Record<string, string>): Promise<string[]> {
  const r = await scanFiles(files);
  assert.deepEqual(r.errors, [], 'the files parse');
  return r.findings
    .filter((f) => f.ruleId === 'client-per-request' || f.ruleId === 'db-client-per-request')
    .map((f) => `${f.location.file}:${f.location.line} ${f.ruleId}`)
    .sort();
}

describe('one hop across files (tree-sitter)', () => {
  before(async () => {
    const { unavailable } = await registerLanguages(['go', 'python', 'java']);
    assert.equal(unavailable.size, 0);
  });

  it('Go: a handler calls newClient() of another file of the package, which builds a Transport per call', async () => {
    const got = await hits({
      'svc/client.go': `package svc
import ("net/http"; "time")
func newClient() *http.Client {
	return &http.Client{Transport: &http.Transport{MaxIdleConns: 10}, Timeout: 5 * time.Second}
}
`,
      'svc/handler.go': `package svc
import "net/http"
func Quote(w http.ResponseWriter, r *http.Request) {
	c := newClient()
	resp, err := c.Get("http://rates:8080/q")
	if err != nil { return }
	defer resp.Body.Close()
}
`,
    });
    assert.deepEqual(got, ['svc/client.go:4 client-per-request', 'svc/handler.go:4 client-per-request']);
  });

  it('Go near misses: the factory in another package directory, a sync.Once factory, a factory only main calls', async () => {
    const got = await hits({
      'lib/client.go': `package lib
import "net/http"
func newClient() *http.Client { return &http.Client{Transport: &http.Transport{}} }
`,
      'svc/handler.go': `package svc
import "net/http"
func Quote(w http.ResponseWriter, r *http.Request) { c := newClient(); c.Get("http://rates:8080/q") }
`,
      'once/client.go': `package once
import ("net/http"; "sync")
var (c *http.Client; o sync.Once)
func shared() *http.Client { o.Do(func() { c = &http.Client{Transport: &http.Transport{}} }); return c }
`,
      'once/handler.go': `package once
import "net/http"
func Quote(w http.ResponseWriter, r *http.Request) { shared().Get("http://rates:8080/q") }
`,
      'cli/client.go': `package main
import "net/http"
func build() *http.Client { return &http.Client{Transport: &http.Transport{}} }
`,
      'cli/main.go': `package main
func main() { c := build(); c.Get("http://rates:8080/q") }
`,
    });
    assert.deepEqual(got, []);
  });

  it('Python: a Flask view imports get_connection from .db, which connects on every call', async () => {
    const got = await hits({
      'app/db.py': `import psycopg2

def get_connection():
    return psycopg2.connect("postgresql://db/app")
`,
      'app/views.py': `from flask import Flask
from .db import get_connection
app = Flask(__name__)

@app.get("/orders")
def orders():
    conn = get_connection()
    cur = conn.cursor()
    return "ok"
`,
    });
    assert.deepEqual(got, ['app/db.py:4 db-client-per-request', 'app/views.py:7 db-client-per-request']);
  });

  it('Python: `import helpers` then helpers.fetch(), a per-call requests.get', async () => {
    const got = await hits({
      'helpers.py': `import requests

def fetch(url):
    return requests.get(url, timeout=5).json()
`,
      'main.py': `import helpers
from fastapi import FastAPI
app = FastAPI()

@app.get("/x")
async def x():
    return helpers.fetch("http://rates/q")
`,
    });
    assert.deepEqual(got, ['helpers.py:4 client-per-request', 'main.py:7 client-per-request']);
  });

  it('Python near misses: an lru_cache getter, a lazy singleton, a module-level pool', async () => {
    const got = await hits({
      'app/db.py': `import functools
import psycopg2
from psycopg2.pool import SimpleConnectionPool
_conn = None
pool = SimpleConnectionPool(1, 10, "postgresql://db/app")

@functools.lru_cache
def cached_connection():
    return psycopg2.connect("postgresql://db/app")

def lazy_connection():
    global _conn
    if _conn is None:
        _conn = psycopg2.connect("postgresql://db/app")
    return _conn
`,
      'app/views.py': `from flask import Flask
from .db import cached_connection, lazy_connection, pool
app = Flask(__name__)

@app.get("/a")
def a():
    cached_connection().cursor()
    lazy_connection().cursor()
    c = pool.getconn()
    pool.putconn(c)
    return "ok"
`,
    });
    assert.deepEqual(got, []);
  });

  it('Java: a servlet calls DBConnection.getConnection() of the same package, a DriverManager connection per call', async () => {
    const got = await hits({
      'web/db/DBConnection.java': `package web.db;
import java.sql.Connection;
import java.sql.DriverManager;
public class DBConnection {
    public static Connection getConnection() throws Exception {
        return DriverManager.getConnection("jdbc:mysql://db:3306/app", "u", "p");
    }
}
`,
      'web/db/Orders.java': `package web.db;
import javax.servlet.http.*;
import java.sql.Connection;
public class Orders extends HttpServlet {
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws Exception {
        try (Connection c = DBConnection.getConnection()) {
            c.prepareStatement("SELECT 1").executeQuery();
        }
    }
}
`,
    });
    assert.deepEqual(got, ['web/db/DBConnection.java:6 db-client-per-request', 'web/db/Orders.java:6 db-client-per-request']);
  });

  it('Java near miss: the helper borrows from a static pool built once', async () => {
    const got = await hits({
      'web/db/Db.java': `package web.db;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
public class Db {
    private static final HikariDataSource POOL = new HikariDataSource();
    public static Connection getConnection() throws Exception { return POOL.getConnection(); }
}
`,
      'web/db/Orders.java': `package web.db;
import javax.servlet.http.*;
public class Orders extends HttpServlet {
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws Exception {
        Db.getConnection().close();
    }
}
`,
    });
    assert.deepEqual(got, []);
  });
});
