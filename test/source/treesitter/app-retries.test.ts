import { ruleCases } from '../../helpers/treesitter.js';

ruleCases('app-retries', [
  {
    name: 'Go: counted retry loop, retry-go, retryablehttp, backoff',
    file: 'r.go',
    code: `package r
import ("net/http"; "time"; "github.com/avast/retry-go/v4"; "github.com/cenkalti/backoff/v4"; "github.com/hashicorp/go-retryablehttp")
func A(c *http.Client) error {
	for i := 0; i < 3; i++ { // expect: app-retries
		resp, err := c.Get("http://a/")
		if err == nil { resp.Body.Close(); return nil }
		time.Sleep(time.Second)
	}
	return nil
}
func B(c *http.Client) error {
	return retry.Do(func() error { // expect: app-retries
		resp, err := c.Get("http://b/")
		if err != nil { return err }
		return resp.Body.Close()
	}, retry.Attempts(5))
}
func C() *http.Client {
	rc := retryablehttp.NewClient() // expect: app-retries
	rc.RetryMax = 2
	return rc.StandardClient()
}
func D(c *http.Client) error {
	op := func() error {
		resp, err := c.Get("http://d/")
		if err != nil { return err }
		return resp.Body.Close()
	}
	return backoff.Retry(op, backoff.NewExponentialBackOff()) // expect: app-retries
}
`,
  },
  {
    name: 'Go near misses: pagination, polling with no exit, retrying a file read, ranging over items',
    file: 'n.go',
    code: `package n
import ("fmt"; "net/http"; "os"; "time")
func Pages(c *http.Client) {
	for p := 0; p < 10; p++ {
		resp, err := c.Get(fmt.Sprintf("http://a/?page=%d", p))
		if err != nil { break }
		resp.Body.Close()
	}
}
func Poll(c *http.Client) {
	for {
		resp, err := c.Get("http://a/")
		if err == nil { resp.Body.Close() }
		time.Sleep(time.Second)
	}
}
func File() {
	for i := 0; i < 3; i++ {
		if _, err := os.ReadFile("x"); err == nil { return }
		time.Sleep(time.Second)
	}
}
func Each(c *http.Client, urls []string) {
	for _, u := range urls {
		resp, err := c.Get(u)
		if err != nil { continue }
		resp.Body.Close()
		return
	}
}
`,
  },
  {
    name: 'Python: retry loop over range, tenacity, backoff, urllib3 Retry on an adapter',
    file: 'r.py',
    code: `import time
import backoff
import requests
from requests.adapters import HTTPAdapter
from tenacity import retry, stop_after_attempt
from urllib3.util.retry import Retry

s = requests.Session()
s.mount("http://", HTTPAdapter(max_retries=Retry(total=3)))  # expect: app-retries

def a():
    for attempt in range(4):  # expect: app-retries
        try:
            return s.get("http://a/").json()
        except requests.RequestException:
            time.sleep(1)

@retry(stop=stop_after_attempt(3))  # expect: app-retries
def b():
    return s.get("http://b/").json()

@backoff.on_exception(backoff.expo, Exception, max_tries=5)  # expect: app-retries
def c():
    return s.get("http://c/").json()
`,
  },
  {
    name: 'Python near misses: tenacity around a DB call, Retry(total=0), a pagination loop',
    file: 'n.py',
    code: `import requests
from requests.adapters import HTTPAdapter
from tenacity import retry, stop_after_attempt
from urllib3.util.retry import Retry

s = requests.Session()
s.mount("http://", HTTPAdapter(max_retries=Retry(total=0)))

@retry(stop=stop_after_attempt(3))
def save(conn, row):
    conn.execute("INSERT INTO t VALUES (%s)", (row,))

def pages():
    for page in range(1, 10):
        data = s.get("http://a/?page=%d" % page).json()
        if not data:
            break
`,
  },
  {
    name: 'Java: retry loop, @Retryable, resilience4j and Failsafe configurations',
    file: 'R.java',
    code: `import dev.failsafe.RetryPolicy;
import io.github.resilience4j.retry.RetryConfig;
import org.springframework.retry.annotation.Retryable;
import org.springframework.web.client.RestTemplate;
class R {
  RestTemplate rest;
  String a() throws Exception {
    for (int i = 0; i < 3; i++) { // expect: app-retries
      try { return rest.getForObject("http://a/", String.class); } catch (Exception e) { Thread.sleep(100); }
    }
    return null;
  }
  @Retryable(maxAttempts = 4) // expect: app-retries
  String b() { return rest.getForObject("http://b/", String.class); }
  RetryConfig c = RetryConfig.custom().maxAttempts(5).build(); // expect: app-retries
  RetryPolicy<Object> d = RetryPolicy.builder().withMaxRetries(2).build(); // expect: app-retries
}
`,
  },
  {
    name: 'Java near misses: @Retryable around JDBC, maxAttempts = 1, pagination',
    file: 'N.java',
    code: `import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.retry.annotation.Retryable;
import org.springframework.web.client.RestTemplate;
class N {
  JdbcTemplate jdbc; RestTemplate rest;
  @Retryable(maxAttempts = 3) void a() { jdbc.update("UPDATE t SET x = 1"); }
  @Retryable(maxAttempts = 1) String b() { return rest.getForObject("http://b/", String.class); }
  void c() {
    for (int p = 0; p < 10; p++) {
      try { if (rest.getForObject("http://c/?page=" + p, String.class) == null) break; } catch (Exception e) { break; }
    }
  }
}
`,
  },
  {
    name: 'Go: go-resty SetRetryCount(3) in a builder chain with comments',
    file: 'resty.go',
    code: `package c
import ("time"; "github.com/go-resty/resty/v2")
var client *resty.Client
func InitClient() {
	client = resty.New()
	client. // expect: app-retries
		// retries on failure
		SetRetryCount(3).
		SetRetryWaitTime(5 * time.Second)
}
`,
  },
  {
    name: 'Go near miss: go-resty SetRetryCount(0) keeps the single try',
    file: 'resty.go',
    code: `package c
import "github.com/go-resty/resty/v2"
func New() *resty.Client {
	return resty.New().SetRetryCount(0)
}
`,
  },
  {
    name: 'Python: tenacity around a callable parameter (the retried call is made by the caller)',
    file: 'retry.py',
    code: `import requests
from tenacity import retry, stop_after_attempt, retry_if_exception_type

@retry(stop=stop_after_attempt(5), retry=retry_if_exception_type(requests.exceptions.RequestException))  # expect: app-retries
def retry_request(func):
    return func()
`,
  },
  {
    name: 'Java: @Retryable on an interface method (the implementation makes the call)',
    file: 'BackendAdapter.java',
    code: `import org.springframework.retry.annotation.Backoff;
import org.springframework.retry.annotation.Retryable;
public interface BackendAdapter {
    @Retryable(maxAttempts = 10, backoff = @Backoff(delay = 1000)) // expect: app-retries
    String getBackendResponse(String param1);
}
`,
  },
  {
    name: 'Python near miss: tenacity around a function that computes locally',
    file: 'calc.py',
    code: `from tenacity import retry, stop_after_attempt

@retry(stop=stop_after_attempt(3))
def parse(text):
    return int(text.strip())
`,
  },
]);
