import { ruleCases } from '../../helpers/treesitter.js';

ruleCases('db-client-per-request', [
  {
    name: 'Go: sql.Open in an echo handler, redis.NewClient in a gRPC method',
    file: 'd.go',
    code: `package d
import ("context"; "database/sql"; "github.com/labstack/echo/v4"; "github.com/redis/go-redis/v9"; pb "x/gen")
func Report(c echo.Context) error {
	db, err := sql.Open("postgres", "postgres://db:5432/r") // expect: db-client-per-request
	if err != nil { return err }
	defer db.Close()
	return nil
}
type s struct{}
func (x *s) Get(ctx context.Context, req *pb.GetRequest) (*pb.GetReply, error) {
	r := redis.NewClient(&redis.Options{Addr: "cache:6379"}) // expect: db-client-per-request
	defer r.Close()
	return nil, nil
}
`,
  },
  {
    name: 'Go near miss: sql.Open in main, shared by the handlers',
    file: 'm.go',
    code: `package main
import ("database/sql"; "net/http")
var db *sql.DB
func H(w http.ResponseWriter, r *http.Request) { db.QueryRow("SELECT 1") }
func main() { db, _ = sql.Open("postgres", "postgres://db:5432/r") }
`,
  },
  {
    name: 'Python: redis.Redis, psycopg2.connect, create_engine (one hop), MongoClient in handlers',
    file: 'd.py',
    code: `import psycopg2
import redis
from flask import Flask
from pymongo import MongoClient
from sqlalchemy import create_engine
app = Flask(__name__)

def engine():
    return create_engine("postgresql://db/app")  # expect: db-client-per-request

@app.get("/a")
def a():
    r = redis.Redis(host="cache", port=6379)  # expect: db-client-per-request
    c = psycopg2.connect("postgresql://db/app")  # expect: db-client-per-request
    m = MongoClient("mongodb://mongo:27017")  # expect: db-client-per-request
    return str(engine())
`,
  },
  {
    name: 'Python near misses: shared pool, Redis(connection_pool=…), sqlite3',
    file: 'ok.py',
    code: `import sqlite3
import redis
from flask import Flask
app = Flask(__name__)
pool = redis.ConnectionPool(host="cache")
shared = redis.Redis(host="cache")

@app.get("/a")
def a():
    r = redis.Redis(connection_pool=pool)
    db = sqlite3.connect("/tmp/x.db")
    return str(shared.get("k"))
`,
  },
  {
    name: 'Java: DriverManager.getConnection, new Jedis, MongoClients.create per request',
    file: 'D.java',
    code: `import java.sql.DriverManager;
import com.mongodb.client.MongoClients;
import redis.clients.jedis.Jedis;
import org.springframework.web.bind.annotation.*;
@RestController
class D {
  @GetMapping("/a") String a() throws Exception {
    var c = DriverManager.getConnection("jdbc:postgresql://db:5432/app"); // expect: db-client-per-request
    var j = new Jedis("cache", 6379); // expect: db-client-per-request
    var m = MongoClients.create("mongodb://mongo:27017"); // expect: db-client-per-request
    return "";
  }
}
`,
  },
  {
    name: 'Java near misses: pool field, dataSource.getConnection(), JDBC in main',
    file: 'E.java',
    code: `import java.sql.DriverManager;
import javax.sql.DataSource;
import redis.clients.jedis.JedisPool;
import org.springframework.web.bind.annotation.*;
@RestController
class E {
  private final JedisPool pool = new JedisPool("cache", 6379);
  private DataSource ds;
  @GetMapping("/a") String a() throws Exception {
    try (var j = pool.getResource(); var c = ds.getConnection()) { return j.get("k"); }
  }
  public static void main(String[] args) throws Exception {
    DriverManager.getConnection(args[0]);
  }
}
`,
  },
]);
