// testapp: the e2e suite's test workload (image bulwark/testapp), one static binary, standard library only.
//
//	testapp serve [ADDR]     HTTP on ADDR (default :8080): / -> "ok <hostname>", /healthz -> "ok", /info -> info JSON
//	testapp get URL          HTTP GET (5 s timeout); prints the body; exit 1 unless 2xx
//	testapp resolve NAME     DNS lookup with the pod's resolv.conf; prints one address a line; exit 1 if none
//	testapp info             JSON facts a node check reads: seccomp mode, capabilities, uid/gid maps, kernel,
//	                         whether a service-account token is mounted
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

const tokenPath = "/var/run/secrets/kubernetes.io/serviceaccount/token"

func main() {
	if len(os.Args) < 2 {
		fail("usage: testapp serve [ADDR] | get URL | resolve NAME | info")
	}
	switch os.Args[1] {
	case "serve":
		addr := ":8080"
		if len(os.Args) > 2 {
			addr = os.Args[2]
		}
		serve(addr)
	case "get":
		need(3, "get URL")
		get(os.Args[2])
	case "resolve":
		need(3, "resolve NAME")
		resolve(os.Args[2])
	case "info":
		b, _ := json.MarshalIndent(info(), "", "  ")
		fmt.Println(string(b))
	default:
		fail(fmt.Sprintf("unknown command %q: want serve, get, resolve or info", os.Args[1]))
	}
}

func need(n int, usage string) {
	if len(os.Args) < n {
		fail("usage: testapp " + usage)
	}
}

func fail(msg string) {
	fmt.Fprintln(os.Stderr, "testapp:", msg)
	os.Exit(1)
}

func serve(addr string) {
	host, _ := os.Hostname()
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintf(w, "ok %s\n", host) })
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("/info", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(info())
	})
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	// as PID 1 a signal without a handler is ignored: stop on SIGTERM so pods delete promptly
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-stop
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}()
	fmt.Printf("testapp serving on %s\n", addr)
	if err := srv.ListenAndServe(); err != nil && err != http.ErrServerClosed {
		fail(err.Error())
	}
}

func get(url string) {
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		fail(err.Error())
	}
	defer resp.Body.Close()
	_, _ = os.Stdout.ReadFrom(http.MaxBytesReader(nil, resp.Body, 1<<20))
	if resp.StatusCode/100 != 2 {
		fail(fmt.Sprintf("GET %s: %s", url, resp.Status))
	}
}

func resolve(name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupHost(ctx, name)
	if err != nil {
		fail(err.Error())
	}
	for _, a := range addrs {
		fmt.Println(a)
	}
}

// Info is what the node checks read from inside a container.
type Info struct {
	Hostname      string            `json:"hostname"`
	UID           int               `json:"uid"`
	GID           int               `json:"gid"`
	Status        map[string]string `json:"status"` // /proc/self/status: Seccomp, NoNewPrivs, CapEff, CapPrm, CapBnd, ...
	UIDMap        string            `json:"uidMap"` // /proc/self/uid_map; "0 0 4294967295" is the host's
	GIDMap        string            `json:"gidMap"`
	KernelRelease string            `json:"kernelRelease"` // uname -r (gVisor reports its own, e.g. 4.4.0)
	KernelVersion string            `json:"kernelVersion"` // uname -v
	ProcVersion   string            `json:"procVersion"`
	ServiceToken  bool              `json:"serviceAccountToken"` // a token file is mounted
}

func info() Info {
	host, _ := os.Hostname()
	var u syscall.Utsname
	_ = syscall.Uname(&u)
	return Info{
		Hostname:      host,
		UID:           os.Getuid(),
		GID:           os.Getgid(),
		Status:        status(),
		UIDMap:        readTrim("/proc/self/uid_map"),
		GIDMap:        readTrim("/proc/self/gid_map"),
		KernelRelease: cstr(u.Release[:]),
		KernelVersion: cstr(u.Version[:]),
		ProcVersion:   readTrim("/proc/version"),
		ServiceToken:  exists(tokenPath),
	}
}

func status() map[string]string {
	out := map[string]string{}
	for _, line := range strings.Split(readTrim("/proc/self/status"), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		switch k {
		case "Seccomp", "Seccomp_filters", "NoNewPrivs", "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "Uid", "Gid", "Groups":
			out[k] = strings.Join(strings.Fields(v), " ")
		}
	}
	return out
}

func readTrim(p string) string {
	b, err := os.ReadFile(p)
	if err != nil {
		return "error: " + err.Error()
	}
	return strings.TrimSpace(string(b))
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func cstr(b []int8) string {
	var s strings.Builder
	for _, c := range b {
		if c == 0 {
			break
		}
		s.WriteByte(byte(c))
	}
	return s.String()
}
