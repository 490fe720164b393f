// A CoreDNS build with only the plugins of the cluster Corefile (Kubernetes' and Talos's default: errors, health,
// ready, log, prometheus, kubernetes, forward, cache, loop, reload, loadbalance), as CoreDNS documents for custom
// builds: blank-import the plugins and set dnsserver.Directives (the order plugins run in, upstream's order kept).
// Built by e2e/tools/node.sh in a wrapper module requiring github.com/coredns/coredns at the pinned version.
package main

import (
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/coremain"

	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/forward"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/loadbalance"
	_ "github.com/coredns/coredns/plugin/log"
	_ "github.com/coredns/coredns/plugin/loop"
	_ "github.com/coredns/coredns/plugin/metrics"
	_ "github.com/coredns/coredns/plugin/ready"
	_ "github.com/coredns/coredns/plugin/reload"
)

// upstream's core/dnsserver/zdirectives.go order, filtered to the plugins above
var directives = []string{
	"reload", "ready", "health", "prometheus", "errors", "log", "loadbalance", "cache", "kubernetes", "loop", "forward",
}

func init() { dnsserver.Directives = directives }

func main() { coremain.Run() }
