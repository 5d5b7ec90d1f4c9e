import { ruleCases } from '../../helpers/treesitter.js';

const head = `package b
import ("encoding/json"; "errors"; "io"; "net/http")
var _ = errors.New
var _ = io.EOF
var _ = json.Marshal
`;

ruleCases('response-body-not-closed', [
  {
    name: "net/http's own Get in a handler whose response is only printed: the body is never closed",
    file: 'a.go',
    code: `${head}
import "fmt"
func H(w http.ResponseWriter, r *http.Request) {
	resp, err := http.Get("http://up/") // expect: response-body-not-closed
	if err != nil { panic(err) }
	fmt.Fprintf(w, "%q", resp)
}
`,
  },
  {
    name: 'near miss: a lookup named Get on another value, printed only, is not a response',
    file: 'a.go',
    code: `${head}
import "fmt"
type Store interface { Get(k string) (string, error) }
func H(s Store, w http.ResponseWriter) {
	v, err := s.Get("k")
	if err != nil { return }
	fmt.Fprintf(w, "%q", v)
}
`,
  },
  {
    name: "near miss: net/http's own Get whose response is returned to the caller",
    file: 'a.go',
    code: `${head}
func Fetch(u string) (*http.Response, error) {
	resp, err := http.Get(u)
	return resp, err
}
`,
  },
  {
    name: 'never closed (decoded, not read to EOF)',
    file: 'a.go',
    code: `${head}
func F(c *http.Client) (v map[string]any, err error) {
	resp, err := c.Get("http://a/") // expect: response-body-not-closed
	if err != nil { return nil, err }
	err = json.NewDecoder(resp.Body).Decode(&v)
	return v, err
}
`,
  },
  {
    name: 'an early return before the deferred close',
    file: 'a.go',
    code: `${head}
func F(c *http.Client, req *http.Request) error {
	resp, err := c.Do(req) // expect: response-body-not-closed
	if err != nil { return err }
	if resp.StatusCode != 200 { return errors.New(resp.Status) }
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return err
}
`,
  },
  {
    name: 'a deferred close inside a loop, bodies not read to EOF',
    file: 'a.go',
    code: `${head}
func F(c *http.Client, urls []string) error {
	for _, u := range urls {
		resp, err := c.Get(u) // expect: response-body-not-closed
		if err != nil { return err }
		defer resp.Body.Close()
		var v any
		json.NewDecoder(resp.Body).Decode(&v)
	}
	return nil
}
`,
  },
  {
    name: 'closed without being read; option checkDrain false turns it off',
    file: 'a.go',
    code: `${head}
func F(c *http.Client) error {
	resp, err := c.Post("http://hook/", "application/json", nil) // expect: response-body-not-closed
	if err != nil { return err }
	defer resp.Body.Close()
	if resp.StatusCode >= 300 { return errors.New(resp.Status) }
	return nil
}
`,
  },
  {
    name: 'option checkDrain false',
    file: 'a.go',
    options: { checkDrain: false },
    code: `${head}
func F(c *http.Client) error {
	resp, err := c.Post("http://hook/", "application/json", nil)
	if err != nil { return err }
	defer resp.Body.Close()
	return nil
}
`,
  },
  {
    name: 'near misses: defer after the error check, explicit close on every branch, returned, helper, HEAD, read to EOF, err == nil branch',
    file: 'a.go',
    code: `${head}
func A(c *http.Client) ([]byte, error) {
	resp, err := c.Get("http://a/")
	if err != nil { return nil, err }
	defer resp.Body.Close()
	return io.ReadAll(resp.Body)
}
func B(c *http.Client) error {
	resp, err := c.Get("http://a/")
	if err != nil { return err }
	if resp.StatusCode != 200 {
		resp.Body.Close()
		return errors.New(resp.Status)
	}
	var v any
	err = json.NewDecoder(resp.Body).Decode(&v)
	resp.Body.Close()
	return err
}
func C(c *http.Client, req *http.Request) (*http.Response, error) {
	resp, err := c.Do(req)
	if err != nil { return nil, err }
	return resp, nil
}
func drain(r *http.Response) { io.Copy(io.Discard, r.Body); r.Body.Close() }
func D(c *http.Client) int {
	resp, err := c.Get("http://a/")
	if err != nil { return 0 }
	defer drain(resp)
	return resp.StatusCode
}
func E(c *http.Client) bool {
	resp, err := c.Head("http://a/")
	if err != nil { return false }
	return resp.StatusCode == 200
}
func G(c *http.Client) int {
	n := 0
	for i := 0; i < 3; i++ {
		resp, err := c.Get("http://a/")
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			n += len(b)
		}
	}
	return n
}
`,
  },
]);
