import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { registerLanguages } from '../../../src/source/treesitter/languages.js';
import type { AppCallSite } from '../../../src/source/types.js';
import { scanFiles } from '../../helpers/treesitter.js';

/** The call site on `line`, without its evidence text. */
async function siteAt(file: string, code: string, line: number, envHosts?: Record<string, string>): Promise<Omit<AppCallSite, 'evidence'> & { evidence: string }> {
  const r = await scanFiles({ [file]: code }, { envHosts });
  assert.deepEqual(r.errors, []);
  const s = r.callSites.find((c) => c.line === line);
  assert.ok(s, `a call site on line ${line}: ${JSON.stringify(r.callSites.map((c) => c.line))}`);
  return s;
}

describe('tree-sitter call sites (application leg of the multiplier)', () => {
  before(async () => {
    await registerLanguages(['go', 'python', 'java']);
  });

  it('Go: destination from the URL literal; client per request and keep-alive off from the transport; tries from the loop', async () => {
    const code = `package h
import ("net/http"; "time")
func H(w http.ResponseWriter, r *http.Request) {
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	for i := 0; i < 3; i++ {
		resp, err := c.Get("http://payments.prod.svc.cluster.local:8080/charge")
		if err == nil { resp.Body.Close(); return }
		time.Sleep(time.Second)
	}
}
`;
    const s = await siteAt('h.go', code, 6);
    assert.equal(s.language, 'go');
    assert.equal(s.url, 'http://payments.prod.svc.cluster.local:8080/charge');
    assert.equal(s.host, 'payments.prod.svc.cluster.local');
    assert.equal(s.port, 8080);
    assert.equal(s.scheme, 'http');
    assert.equal(s.clientPerRequest, true);
    assert.equal(s.keepAliveOff, true);
    assert.equal(s.appTries, 3);
    assert.match(s.evidence, /built in net\/http handler/);
  });

  it('Go: http.NewRequest + client.Do is one call site with the request URL; req.Close makes keep-alive off', async () => {
    const code = `package h
import ("net/http"; "os")
var client = &http.Client{}
func Send() error {
	req, err := http.NewRequest("POST", os.Getenv("AUDIT_URL"), nil)
	if err != nil { return err }
	req.Close = true
	resp, err := client.Do(req)
	if err != nil { return err }
	return resp.Body.Close()
}
`;
    const r = await scanFiles({ 'a.go': code }, { envHosts: { AUDIT_URL: 'http://audit.platform.svc:9000' } });
    assert.equal(r.callSites.length, 1);
    const s = r.callSites[0]!;
    assert.equal(s.line, 8);
    assert.equal(s.host, 'audit.platform.svc');
    assert.equal(s.port, 9000);
    assert.equal(s.keepAliveOff, true);
    assert.equal(s.clientPerRequest, false);
    assert.equal(s.appTries, 1);
    assert.match(s.evidence, /\$AUDIT_URL/);
  });

  it('Go: retryablehttp RetryMax 2 makes 3 tries', async () => {
    const code = `package r
import ("net/http"; "github.com/hashicorp/go-retryablehttp")
func Get() (*http.Response, error) {
	rc := retryablehttp.NewClient()
	rc.RetryMax = 2
	client := rc.StandardClient()
	resp, err := client.Get("https://api.example.com/v1")
	if err != nil { return nil, err }
	return resp, nil
}
`;
    const s = await siteAt('r.go', code, 7);
    assert.equal(s.appTries, 3);
    assert.equal(s.scheme, 'https');
    assert.equal(s.port, 443);
  });

  it('Python: requests.get is a new connection per call; a mounted Retry(total=4) makes 5 tries', async () => {
    const code = `import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry
s = requests.Session()
s.mount("http://", HTTPAdapter(max_retries=Retry(total=4)))

def a():
    return requests.get("http://users.prod:8080/u")

def b():
    return s.get("http://orders.prod/o")
`;
    const a = await siteAt('c.py', code, 8);
    assert.equal(a.clientPerRequest, true);
    assert.equal(a.appTries, 1);
    assert.equal(a.host, 'users.prod');
    const b = await siteAt('c.py', code, 11);
    assert.equal(b.clientPerRequest, false);
    assert.equal(b.appTries, 5);
    assert.equal(b.port, 80);
  });

  it('Python: tenacity stop_after_attempt(3) around a session with Connection: close', async () => {
    const code = `import requests
from tenacity import retry, stop_after_attempt
s = requests.Session()
s.headers.update({"Connection": "close"})

@retry(stop=stop_after_attempt(3))
def a():
    return s.get("http://inventory:8080/i")
`;
    const s = await siteAt('t.py', code, 8);
    assert.equal(s.appTries, 3);
    assert.equal(s.keepAliveOff, true);
  });

  it('Java: @Retryable(maxAttempts = 4) and a per-request HttpClient; a database client is its own call site', async () => {
    const code = `import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.DriverManager;
import org.springframework.retry.annotation.Retryable;
import org.springframework.web.bind.annotation.*;
@RestController
class C {
  @Retryable(maxAttempts = 4)
  @GetMapping("/a") String a() throws Exception {
    HttpClient c = HttpClient.newHttpClient();
    HttpRequest req = HttpRequest.newBuilder().uri(URI.create("http://ledger.finance.svc:8080/b")).build();
    DriverManager.getConnection("jdbc:postgresql://ledger-db:5432/l");
    return c.send(req, HttpResponse.BodyHandlers.ofString()).body();
  }
}
`;
    const r = await scanFiles({ 'C.java': code });
    const http = r.callSites.find((s) => s.line === 15)!;
    assert.equal(http.host, 'ledger.finance.svc');
    assert.equal(http.port, 8080);
    assert.equal(http.clientPerRequest, true);
    assert.equal(http.appTries, 4);
    const db = r.callSites.find((s) => s.line === 14)!;
    assert.equal(db.clientPerRequest, true);
    assert.equal(db.appTries, 1);
  });

  it('Python: a database URL gives host and the scheme default port', async () => {
    const code = `import redis
from flask import Flask
app = Flask(__name__)

@app.get("/")
def i():
    return redis.from_url("redis://sessions.cache.svc/0").get("k")
`;
    const s = await siteAt('d.py', code, 7);
    assert.equal(s.host, 'sessions.cache.svc');
    assert.equal(s.port, 6379);
    assert.equal(s.clientPerRequest, true);
  });
});
