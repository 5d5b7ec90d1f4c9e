import { ruleCases } from '../../helpers/treesitter.js';

ruleCases('client-per-request', [
  {
    name: "Python: httpx's top-level get in a FastAPI route (a throwaway client per call)",
    file: 'h.py',
    code: `import httpx
from fastapi import FastAPI
app = FastAPI()
@app.get("/u")
def u():
    return httpx.get("http://users:8080/u").json()  # expect: client-per-request
`,
  },
  {
    name: 'Python: requests.get in a discord.py on_message callback (runs for every message)',
    file: 'bot.py',
    code: `import discord, requests
client = discord.Client()
@client.event
async def on_message(message):
    r = requests.get("http://quotes:8080/random")  # expect: client-per-request
    await message.channel.send(r.text)
`,
  },
  {
    name: 'Python: an aiogram message handler opening an aiohttp session per message',
    file: 'tg.py',
    code: `import aiohttp
from aiogram import Dispatcher
dp = Dispatcher()
@dp.message_handler(commands=["rate"])
async def rate(message):
    async with aiohttp.ClientSession() as s:  # expect: client-per-request
        async with s.get("http://rates:8080/usd") as r:
            await message.answer(await r.text())
`,
  },
  {
    name: 'Python near miss: a discord.py on_ready callback builds the session once at start-up',
    file: 'bot.py',
    code: `import discord, aiohttp
client = discord.Client()
@client.event
async def on_ready():
    client.http_session = aiohttp.ClientSession()
    await client.http_session.get("http://quotes:8080/warm")
`,
  },
  {
    name: 'Python near miss: a thread-local cached session built by a getter a handler calls (once per thread)',
    file: 'tl.py',
    code: `import threading, requests
from flask import Flask
app = Flask(__name__)
local = threading.local()
def session():
    if not hasattr(local, "s"):
        local.s = requests.Session()
    return local.s
@app.route("/u")
def u():
    return session().get("http://users:8080/u").text
`,
  },
  {
    name: 'Python near miss: a global lazily built on the first call (if _s is None)',
    file: 'gl.py',
    code: `import requests
from flask import Flask
app = Flask(__name__)
_s = None
def session():
    global _s
    if _s is None:
        _s = requests.Session()
    return _s
@app.route("/u")
def u():
    return session().get("http://users:8080/u").text
`,
  },
  {
    name: 'Go near miss: a package variable built under if client == nil by a getter the handler calls',
    file: 'lazy.go',
    code: `package h
import "net/http"
var client *http.Client
func getClient() *http.Client {
	if client == nil {
		client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 10}}
	}
	return client
}
func H(w http.ResponseWriter, r *http.Request) {
	resp, err := getClient().Get("http://users:8080/u")
	if err != nil { return }
	defer resp.Body.Close()
}
`,
  },
  {
    name: 'Python: a session built under a condition on the request, kept in a local: still per request',
    file: 'cond.py',
    code: `import requests
from flask import Flask, request
app = Flask(__name__)
@app.route("/u")
def u():
    s = None
    if request.args.get("fresh"):
        s = requests.Session()  # expect: client-per-request
    return (s or requests).get("http://users:8080/u").text
`,
  },
  {
    name: 'Python: an aiohttp session bound by async with and handed to a same-file helper, closed when the block ends',
    file: 'tools.py',
    code: `import aiohttp
async def fetch(session, url):
    async with session.get(url) as response:
        return await response.text()
async def async_request(url):
    async with aiohttp.ClientSession() as session:  # expect: client-per-request
        return await fetch(session=session, url=url)
`,
  },
  {
    name: 'Python: a requests.Session bound by with and handed to any call is dropped at the end of every call',
    file: 'sync.py',
    code: `import requests
from .api import pull
def sync_orders(account):
    with requests.Session() as s:  # expect: client-per-request
        return pull(s, account)
`,
  },
  {
    name: 'Python near miss: the with block yields (a lifespan keeps the session for the whole process)',
    file: 'app.py',
    code: `import contextlib, aiohttp
@contextlib.asynccontextmanager
async def lifespan(app):
    async with aiohttp.ClientSession() as session:
        app.state.session = session
        yield
`,
  },
  {
    name: 'Python near miss: the session bound by async with in main, handed to the workers, runs once',
    file: 'crawl.py',
    code: `import asyncio, aiohttp
async def fetch(session, url):
    async with session.get(url) as r:
        return await r.text()
async def main(urls):
    async with aiohttp.ClientSession() as session:
        await asyncio.gather(*[fetch(session, u) for u in urls])
if __name__ == "__main__":
    asyncio.run(main(["http://a/"]))
`,
  },
  {
    name: 'Python near miss: the session is stored on an object that outlives the block',
    file: 'holder.py',
    code: `import aiohttp
from .worker import consume
async def attach(bot):
    async with aiohttp.ClientSession() as session:
        bot.session = session
        await consume(session)
`,
  },
  // ---------------------------------------------------------------- Go
  {
    name: 'Go: &http.Client{Transport: &http.Transport{}} in a net/http handler',
    file: 'h.go',
    code: `package h
import "net/http"
func Get(w http.ResponseWriter, r *http.Request) {
	c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 10}} // expect: client-per-request warn
	resp, err := c.Get("http://users:8080/u")
	if err != nil { return }
	defer resp.Body.Close()
	w.WriteHeader(resp.StatusCode)
}
`,
  },
  {
    name: 'Go near miss: http.Client{} with a nil Transport uses http.DefaultTransport',
    file: 'h.go',
    code: `package h
import ("net/http"; "time")
func Get(w http.ResponseWriter, r *http.Request) {
	c := &http.Client{Timeout: time.Second}
	resp, err := c.Get("http://users:8080/u")
	if err != nil { return }
	defer resp.Body.Close()
	w.WriteHeader(resp.StatusCode)
}
`,
  },
  {
    name: 'Go near miss: http.Get uses http.DefaultClient',
    file: 'h.go',
    code: `package h
import ("io"; "net/http")
func Get(w http.ResponseWriter, r *http.Request) {
	resp, err := http.Get("http://users:8080/u")
	if err != nil { return }
	defer resp.Body.Close()
	io.Copy(w, resp.Body)
}
`,
  },
  {
    name: 'Go: gin handler calls a same-file helper that clones the default transport (one hop)',
    file: 'g.go',
    code: `package g
import ("net/http"; "github.com/gin-gonic/gin")
func client() *http.Client {
	return &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()} // expect: client-per-request
}
func Quote(c *gin.Context) {
	resp, err := client().Get("http://pricing:9090/q")
	if err != nil { return }
	defer resp.Body.Close()
	c.Status(resp.StatusCode)
}
`,
  },
  {
    name: 'Go: option followLocalCalls false ignores the one-hop helper',
    file: 'g.go',
    options: { followLocalCalls: false },
    code: `package g
import ("net/http"; "github.com/gin-gonic/gin")
func client() *http.Client {
	return &http.Client{Transport: &http.Transport{}}
}
func Quote(c *gin.Context) {
	resp, err := client().Get("http://pricing:9090/q")
	if err != nil { return }
	defer resp.Body.Close()
	c.Status(resp.StatusCode)
}
`,
  },
  {
    name: 'Go near miss: transport built in main, a constructor and at package level',
    file: 'm.go',
    code: `package main
import "net/http"
var pkg = &http.Transport{MaxIdleConnsPerHost: 64}
type S struct{ c *http.Client }
func NewS() *S { return &S{c: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}} }
func main() {
	t := &http.Transport{MaxIdleConnsPerHost: 64}
	_ = t
	http.ListenAndServe(":8080", nil)
}
`,
  },
  {
    name: 'Go: gRPC service method dials per call',
    file: 's.go',
    code: `package s
import ("context"; "google.golang.org/grpc"; pb "x/gen")
type srv struct{}
func (s *srv) Price(ctx context.Context, req *pb.PriceRequest) (*pb.PriceReply, error) {
	conn, err := grpc.NewClient("pricing:9090") // expect: client-per-request
	if err != nil { return nil, err }
	defer conn.Close()
	return pb.NewPricingClient(conn).Price(ctx, req)
}
`,
  },
  {
    name: 'Go: a transport per host in a handler loop is info (the destination changes)',
    file: 'p.go',
    code: `package p
import "net/http"
func Probe(w http.ResponseWriter, r *http.Request) {
	for _, host := range r.URL.Query()["h"] {
		c := &http.Client{Transport: &http.Transport{}} // expect: client-per-request info
		resp, err := c.Get("http://" + host + "/healthz")
		if err != nil { continue }
		resp.Body.Close()
	}
}
`,
  },
  // ---------------------------------------------------------------- Python
  {
    name: 'Python: requests.get in a Flask route (a Session per call)',
    file: 'app.py',
    code: `import requests
from flask import Flask
app = Flask(__name__)

@app.route("/u/<i>")
def user(i):
    return requests.get(f"http://users:8080/u/{i}", timeout=2).json()  # expect: client-per-request warn
`,
  },
  {
    name: 'Python: httpx.AsyncClient() and aiohttp.ClientSession() per request',
    file: 'api.py',
    code: `import aiohttp
import httpx
from fastapi import FastAPI
app = FastAPI()

@app.get("/a")
async def a():
    async with httpx.AsyncClient() as c:  # expect: client-per-request
        return (await c.get("http://a:80/")).json()

@app.post("/b")
async def b():
    async with aiohttp.ClientSession() as s:  # expect: client-per-request
        async with s.get("http://b:80/") as r:
            return await r.json()
`,
  },
  {
    name: 'Python near miss: module-level Session, lifespan client, cached getter, __init__',
    file: 'ok.py',
    code: `from contextlib import asynccontextmanager
from functools import lru_cache
import httpx
import requests
from fastapi import FastAPI

session = requests.Session()

@asynccontextmanager
async def lifespan(app):
    app.state.client = httpx.AsyncClient()
    yield

@lru_cache
def client():
    return httpx.Client()

class Crm:
    def __init__(self):
        self.s = requests.Session()

app = FastAPI(lifespan=lifespan)

@app.get("/x")
def x():
    return client().get("http://a/").json(), session.get("http://b/").json()
`,
  },
  {
    name: 'Python near miss: a SQLAlchemy Session() and another library\'s AsyncClient() in a handler of a file that also imports requests/httpx',
    file: 'db.py',
    code: `import httpx
import requests
from flask import Flask
from openai import AsyncClient
from sqlalchemy.orm import Session
app = Flask(__name__)

@app.get("/orders")
def orders():
    with Session(engine) as s:
        return s.execute("SELECT 1").all(), AsyncClient()
`,
  },
  {
    name: 'Python: Session imported from requests',
    file: 'imp.py',
    code: `from requests import Session
from flask import Flask
app = Flask(__name__)

@app.get("/x")
def x():
    with Session() as s:  # expect: client-per-request
        return s.get("http://a/").text
`,
  },
  {
    name: 'Python near miss: requests.get in a script main() loop',
    file: 'tool.py',
    code: `import requests

def main():
    for u in ["http://a/1", "http://a/2"]:
        print(requests.get(u).status_code)

if __name__ == "__main__":
    main()
`,
  },
  {
    name: 'Python: Django view builds a Session; a queue worker builds one per message',
    file: 'views.py',
    code: `import requests

def detail(request, pk):
    s = requests.Session()  # expect: client-per-request
    return s.get("http://crm/c/%s" % pk).json()

def worker(q):
    while True:
        m = q.get()
        with requests.Session() as s:  # expect: client-per-request
            s.post("http://enricher/e", json=m)
`,
  },
  // ---------------------------------------------------------------- Java
  {
    name: 'Java: HttpClient.newHttpClient(), OkHttpClient and Apache clients in request mappings',
    file: 'C.java',
    code: `import java.net.http.HttpClient;
import okhttp3.OkHttpClient;
import org.apache.http.impl.client.HttpClients;
import org.springframework.web.bind.annotation.*;
@RestController
class C {
  @GetMapping("/a") String a() throws Exception {
    HttpClient c = HttpClient.newHttpClient(); // expect: client-per-request warn
    return "";
  }
  @PostMapping("/b") String b() {
    OkHttpClient c = new OkHttpClient.Builder() // expect: client-per-request
        .build();
    return "";
  }
  @DeleteMapping("/c") String c() throws Exception {
    try (var h = HttpClients.createDefault()) { return ""; } // expect: client-per-request
  }
}
`,
  },
  {
    name: 'Java near miss: shared client field, constructor, @Bean, client.newBuilder()',
    file: 'D.java',
    code: `import java.net.http.HttpClient;
import okhttp3.OkHttpClient;
import org.springframework.context.annotation.Bean;
import org.springframework.web.bind.annotation.*;
@RestController
class D {
  private static final HttpClient SHARED = HttpClient.newHttpClient();
  private final OkHttpClient ok;
  D() { ok = new OkHttpClient(); }
  @Bean OkHttpClient bean() { return new OkHttpClient(); }
  @GetMapping("/a") String a() {
    OkHttpClient tuned = ok.newBuilder().build();
    return tuned.toString();
  }
}
`,
  },
  {
    name: 'Java: servlet doGet and JAX-RS resource; new RestTemplate() is info',
    file: 'S.java',
    code: `import javax.servlet.http.*;
import javax.ws.rs.GET;
import okhttp3.OkHttpClient;
import org.springframework.web.client.RestTemplate;
class S extends HttpServlet {
  protected void doGet(HttpServletRequest req, HttpServletResponse resp) {
    new OkHttpClient(); // expect: client-per-request warn
  }
  @GET public String r() {
    return new RestTemplate().getForObject("http://w/", String.class); // expect: client-per-request info
  }
}
`,
  },
  // ------------------------------------------- built and dropped in an ordinary function (issue 17)
  {
    name: 'Go: an exported helper builds a Transport, makes one request and drops it',
    file: 'api.go',
    code: `package api
import ("io"; "net/http"; "time")
func CallAPI(url string) ([]byte, error) {
	c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{MaxIdleConns: 10}} // expect: client-per-request
	resp, err := c.Get(url)
	if err != nil { return nil, err }
	defer resp.Body.Close()
	return io.ReadAll(resp.Body)
}
`,
  },
  {
    name: 'Go: fetch() calls a same-file newClient() factory on every call',
    file: 'signs.go',
    code: `package signs
import ("io"; "net/http")
func newClient() *http.Client {
	return &http.Client{Transport: &http.Transport{}} // expect: client-per-request
}
func Fetch(url string) ([]byte, error) {
	c := newClient()
	resp, err := c.Get(url)
	if err != nil { return nil, err }
	defer resp.Body.Close()
	return io.ReadAll(resp.Body)
}
`,
  },
  {
    name: 'Go near miss: the factory returns the client to its caller (nothing is requested inside)',
    file: 'f.go',
    code: `package f
import "net/http"
func NewHTTPClient() *http.Client {
	return &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 100}}
}
`,
  },
  {
    name: 'Go near miss: the helper stores the client it builds in a package variable',
    file: 'p.go',
    code: `package p
import "net/http"
var client *http.Client
func Init(url string) error {
	client = &http.Client{Transport: &http.Transport{}}
	resp, err := client.Get(url)
	if err != nil { return err }
	return resp.Body.Close()
}
`,
  },
  {
    name: 'Python: a helper opens an aiohttp ClientSession per call',
    file: 'net.py',
    code: `import aiohttp

async def fetch_json(url):
    async with aiohttp.ClientSession() as session:  # expect: client-per-request
        async with session.get(url) as resp:
            return await resp.json()
`,
  },
  {
    name: 'Python near miss: the session is a parameter',
    file: 'net.py',
    code: `import aiohttp

async def fetch_json(session: aiohttp.ClientSession, url):
    async with session.get(url) as resp:
        return await resp.json()
`,
  },
  {
    name: 'Python near miss: the helper returns the session it builds',
    file: 'net.py',
    code: `import requests

def make_session(token):
    s = requests.Session()
    s.headers["Authorization"] = token
    s.get("http://auth:8080/ping")
    return s
`,
  },
  {
    name: 'Java: a static utility builds HttpClients.createDefault() on every call',
    file: 'HttpUtil.java',
    code: `import org.apache.http.client.methods.HttpGet;
import org.apache.http.impl.client.CloseableHttpClient;
import org.apache.http.impl.client.HttpClients;
public class HttpUtil {
    public static String get(String url) throws Exception {
        CloseableHttpClient client = HttpClients.createDefault(); // expect: client-per-request
        return client.execute(new HttpGet(url), r -> "ok");
    }
}
`,
  },
  {
    name: 'Java: HttpClient.newHttpClient() inline for one send',
    file: 'Probe.java',
    code: `import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
public class Probe {
    public String probe(String url) throws Exception {
        HttpRequest req = HttpRequest.newBuilder().uri(URI.create(url)).build();
        return HttpClient.newHttpClient().send(req, HttpResponse.BodyHandlers.ofString()).body(); // expect: client-per-request
    }
}
`,
  },
  {
    name: 'Java near miss: the client is built in main of a one-shot program',
    file: 'Main.java',
    code: `import okhttp3.OkHttpClient;
import okhttp3.Request;
public class Main {
    public static void main(String[] args) throws Exception {
        OkHttpClient client = new OkHttpClient();
        client.newCall(new Request.Builder().url(args[0]).build()).execute().close();
    }
}
`,
  },
  {
    name: 'Java near miss: a private helper called only from main runs once',
    file: 'Cli.java',
    code: `import okhttp3.OkHttpClient;
import okhttp3.Request;
public class Cli {
    private static void fetch(String url) throws Exception {
        OkHttpClient client = new OkHttpClient();
        client.newCall(new Request.Builder().url(url).build()).execute().close();
    }
    public static void main(String[] args) throws Exception {
        fetch(args[0]);
    }
}
`,
  },
  {
    name: 'Python: Celery tasks (decorator with and without a call, a Task subclass run()) call requests per message',
    file: 'tasks.py',
    code: `import celery
import requests
from x import celery_app

@celery_app.task()
def deliver(payload):
    requests.post(url="http://hooks:8080/in", json=payload)  # expect: client-per-request

@celery_app.task
def notify(event):
    requests.request("POST", "http://events:8080/in", json=event)  # expect: client-per-request

class WebhookTask(celery.Task):
    def run(self, body):
        requests.put("http://hooks:8080/put", data=body)  # expect: client-per-request
`,
  },
  {
    name: 'Python: httpx.request in a Flask route',
    file: 'h.py',
    code: `import httpx
from flask import Flask
app = Flask(__name__)

@app.route("/q")
def q():
    return httpx.request("GET", "http://quotes:8080/q").text  # expect: client-per-request
`,
  },
  {
    name: 'Python near miss: a Celery task that uses a module-level Session',
    file: 'tasks.py',
    code: `import requests
from celery import shared_task
session = requests.Session()

@shared_task
def deliver(payload):
    session.post("http://hooks:8080/in", json=payload)
`,
  },
  {
    name: 'Python: a dependency provider that opens a client and yields it (per request under FastAPI Depends)',
    file: 'dep.py',
    code: `import httpx

async def get_async_client():
    async with httpx.AsyncClient() as client:  # expect: client-per-request
        yield client
`,
  },
  {
    name: 'Python near miss: a lifespan and a pytest fixture that yield clients',
    file: 'life.py',
    code: `import httpx
import pytest

async def lifespan(app):
    async with httpx.AsyncClient() as client:
        yield client

@pytest.fixture
def client():
    with httpx.Client() as c:
        yield c
`,
  },
]);
