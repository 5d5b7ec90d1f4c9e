import { ruleCases } from '../../helpers/treesitter.js';

ruleCases('keepalive-disabled-client', [
  {
    name: 'Java: an OkHttp interceptor rebuilding every outgoing request with Connection: close',
    file: 'Gw.java',
    code: `import okhttp3.OkHttpClient;
public class Gw {
    private final OkHttpClient client = new OkHttpClient.Builder()
        .addInterceptor(chain -> chain.proceed(chain.request().newBuilder().header("Connection", "close").build())) // expect: keepalive-disabled-client
        .build();
}
`,
  },
  {
    name: 'Java near miss: a network interceptor rewriting the response it got back, not the request',
    file: 'Gw.java',
    code: `import okhttp3.OkHttpClient;
public class Gw {
    private final OkHttpClient client = new OkHttpClient.Builder()
        .addNetworkInterceptor(chain -> chain.proceed(chain.request()).newBuilder().header("Connection", "close").build())
        .build();
}
`,
  },
  {
    name: 'Go: DisableKeepAlives: true, negative MaxIdleConnsPerHost, assignments',
    file: 'k.go',
    code: `package k
import "net/http"
var a = &http.Transport{
	DisableKeepAlives: true, // expect: keepalive-disabled-client
}
var b = &http.Transport{MaxIdleConnsPerHost: -1} // expect: keepalive-disabled-client
func c() *http.Transport {
	t := &http.Transport{}
	t.DisableKeepAlives = true // expect: keepalive-disabled-client
	return t
}
`,
  },
  {
    name: 'Go: Connection: close and req.Close on an outbound request',
    file: 'o.go',
    code: `package o
import "net/http"
func send(c *http.Client, url string) {
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Connection", "close") // expect: keepalive-disabled-client
	req.Close = true // expect: keepalive-disabled-client
	resp, err := c.Do(req)
	if err == nil { resp.Body.Close() }
}
`,
  },
  {
    name: 'Go near miss: Connection: close on the server response, r.Close on the incoming request, DisableKeepAlives: false',
    file: 's.go',
    code: `package s
import "net/http"
var t = &http.Transport{DisableKeepAlives: false, MaxIdleConnsPerHost: 32}
func H(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Connection", "close")
	r.Close = true
	w.WriteHeader(503)
}
`,
  },
  {
    name: 'Python: Connection: close in headers= (inline and through a variable), session headers, force_close, no keep-alive limits',
    file: 'k.py',
    code: `import aiohttp
import httpx
import requests

s = requests.Session()
H = {"Connection": "close"}  # expect: keepalive-disabled-client
s.headers["Connection"] = "close"  # expect: keepalive-disabled-client
conn = aiohttp.TCPConnector(force_close=True)  # expect: keepalive-disabled-client
limits = httpx.Limits(max_keepalive_connections=0)  # expect: keepalive-disabled-client

def a():
    return s.get("http://x/", headers={"connection": "Close"})  # expect: keepalive-disabled-client

def b():
    return s.post("http://x/", headers=H)
`,
  },
  {
    name: 'Python near miss: Connection: close on Flask responses and in an unrelated dict',
    file: 'f.py',
    code: `from flask import Flask, make_response
app = Flask(__name__)
LABELS = {"Connection": "close"}

@app.get("/bye")
def bye():
    r = make_response("bye")
    r.headers["Connection"] = "close"
    return r

@app.get("/bye2")
def bye2():
    return "bye", 200, {"Connection": "close"}
`,
  },
  {
    name: 'Java: HttpURLConnection, OkHttp Request.Builder, Apache request, http.keepAlive=false, NoConnectionReuseStrategy, ConnectionPool(0, …)',
    file: 'K.java',
    code: `import java.net.HttpURLConnection;
import java.net.URL;
import java.util.concurrent.TimeUnit;
import okhttp3.ConnectionPool;
import okhttp3.Request;
import org.apache.http.client.methods.HttpPost;
import org.apache.http.impl.NoConnectionReuseStrategy;
class K {
  void a(URL u) throws Exception {
    HttpURLConnection c = (HttpURLConnection) u.openConnection();
    c.setRequestProperty("Connection", "close"); // expect: keepalive-disabled-client
  }
  Request b(String u) {
    return new Request.Builder().url(u)
        .header("Connection", "close") // expect: keepalive-disabled-client
        .build();
  }
  void c(String u) {
    HttpPost post = new HttpPost(u);
    post.setHeader("Connection", "close"); // expect: keepalive-disabled-client
  }
  static { System.setProperty("http.keepAlive", "false"); } // expect: keepalive-disabled-client
  Object d() { return NoConnectionReuseStrategy.INSTANCE; } // expect: keepalive-disabled-client
  ConnectionPool e() { return new ConnectionPool(0, 1, TimeUnit.SECONDS); } // expect: keepalive-disabled-client
}
`,
  },
  {
    name: 'Java near miss: servlet response, ResponseEntity and the JDK HttpRequest builder (restricted header)',
    file: 'R.java',
    code: `import java.net.URI;
import java.net.http.HttpRequest;
import javax.servlet.http.HttpServletResponse;
import okhttp3.OkHttpClient;
import org.springframework.http.ResponseEntity;
class R {
  void a(HttpServletResponse response) { response.setHeader("Connection", "close"); }
  ResponseEntity<String> b() { return ResponseEntity.ok().header("Connection", "close").body("x"); }
  HttpRequest c() { return HttpRequest.newBuilder(URI.create("http://x/")).header("Connection", "close").build(); }
  OkHttpClient d = new OkHttpClient();
}
`,
  },
  {
    name: 'Java: an OkHttp interceptor adds Connection: close to every outbound request',
    file: 'NetInterceptor.java',
    code: `import java.io.IOException;
import okhttp3.Interceptor;
import okhttp3.Request;
import okhttp3.Response;
public class NetInterceptor implements Interceptor {
    @Override
    public Response intercept(Chain chain) throws IOException {
        Request request = chain.request().newBuilder().addHeader("Connection", "close").build(); // expect: keepalive-disabled-client
        return chain.proceed(request);
    }
}
`,
  },
  {
    name: 'Java near miss: a servlet filter sets Connection: close on the server response',
    file: 'CloseFilter.java',
    code: `import java.io.IOException;
import jakarta.servlet.*;
import jakarta.servlet.http.HttpServletResponse;
public class CloseFilter implements Filter {
    public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain) throws IOException, ServletException {
        HttpServletResponse httpResp = (HttpServletResponse) response;
        httpResp.setHeader("Connection", "close");
        chain.doFilter(request, response);
    }
}
`,
  },
]);
