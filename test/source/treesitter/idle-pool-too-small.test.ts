import { ruleCases } from '../../helpers/treesitter.js';

ruleCases('idle-pool-too-small', [
  {
    name: 'Go: shared transport without MaxIdleConnsPerHost used by handlers; explicit 0 is the default',
    file: 'p.go',
    code: `package p
import "net/http"
var t = &http.Transport{MaxIdleConns: 100} // expect: idle-pool-too-small
var z = &http.Transport{MaxIdleConnsPerHost: 0} // expect: idle-pool-too-small
func H(w http.ResponseWriter, r *http.Request) { w.WriteHeader(200) }
`,
  },
  {
    name: 'Go: a cloned default transport in a file with goroutines',
    file: 'g.go',
    code: `package g
import "net/http"
func New() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone() // expect: idle-pool-too-small
	return &http.Client{Transport: tr}
}
func Fan(c *http.Client, urls []string) {
	for _, u := range urls { go c.Get(u) }
}
`,
  },
  {
    name: 'Go near misses: size set in the literal or by assignment, keep-alive off, built per request, no concurrency',
    file: 'n.go',
    code: `package n
import "net/http"
var a = &http.Transport{MaxIdleConnsPerHost: 64}
var b = &http.Transport{DisableKeepAlives: true}
var c = &http.Transport{MaxConnsPerHost: 2}
func NewD() *http.Transport {
	d := &http.Transport{}
	d.MaxIdleConnsPerHost = 100
	return d
}
func H(w http.ResponseWriter, r *http.Request) {
	e := &http.Transport{}
	_ = e
}
`,
  },
  {
    name: 'Go near miss without concurrency; option assumeConcurrent reports it',
    file: 'cli.go',
    options: { assumeConcurrent: true },
    code: `package main
import "net/http"
var t = &http.Transport{} // expect: idle-pool-too-small
func fetch(u string) { http.Get(u) }
`,
  },
  {
    name: 'Go near miss without concurrency (defaults)',
    file: 'cli.go',
    code: `package main
import "net/http"
var t = &http.Transport{}
func fetch(u string) { http.Get(u) }
`,
  },
  {
    name: 'Python: a Session shared by 32 threads; a PoolManager by 8 threads; a small mounted adapter',
    file: 'p.py',
    code: `import threading
from concurrent.futures import ThreadPoolExecutor
import requests
import urllib3
from requests.adapters import HTTPAdapter

s = requests.Session()  # expect: idle-pool-too-small
pm = urllib3.PoolManager()  # expect: idle-pool-too-small
m = requests.Session()
small = HTTPAdapter(pool_maxsize=4)  # expect: idle-pool-too-small
m.mount("https://", small)

def run(items):
    with ThreadPoolExecutor(max_workers=32) as ex:
        ex.map(lambda i: s.get("http://a/%s" % i), items)
    for _ in range(8):
        threading.Thread(target=lambda: pm.request("GET", "http://b/")).start()
`,
  },
  {
    name: 'Python near misses: threads within the pool size, a sized adapter, pool_block, no threads',
    file: 'ok.py',
    code: `from concurrent.futures import ThreadPoolExecutor
import requests
import urllib3
from requests.adapters import HTTPAdapter

s = requests.Session()
big = requests.Session()
big.mount("https://", HTTPAdapter(pool_maxsize=64))
blocking = urllib3.PoolManager(maxsize=2, block=True)

def run(items):
    with ThreadPoolExecutor(max_workers=8) as ex:
        ex.map(lambda i: s.get("http://a/%s" % i), items)
`,
  },
  {
    name: 'Python near miss: no threads at all',
    file: 'single.py',
    code: `import requests
s = requests.Session()
def get(i):
    return s.get("http://a/%s" % i)
`,
  },
]);
