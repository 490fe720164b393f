// talos-compute runs Talos's own controllers on a machine config, in memory, and prints what machined would
// compute for a control-plane node: the static pods, the files written for them, the kubelet spec and the
// kube-proxy manifest. It exits 1 with the controllers' errors when one rejects the config.
//
// It is built by e2e/tools/talos-compute.sh inside a copy of the Talos module of each line (internal packages are
// importable only from there); see e2e/tools/README.md.
//
// Usage: talos-compute --config <machine config YAML> --node-name <name> --node-ip <ip>
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"regexp"
	"sort"
	"time"

	"github.com/cosi-project/runtime/pkg/controller/runtime"
	"github.com/cosi-project/runtime/pkg/resource"
	"github.com/cosi-project/runtime/pkg/safe"
	"github.com/cosi-project/runtime/pkg/state"
	"github.com/cosi-project/runtime/pkg/state/impl/inmem"
	"github.com/cosi-project/runtime/pkg/state/impl/namespaced"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	k8sctrl "github.com/siderolabs/talos/internal/app/machined/pkg/controllers/k8s"
	"github.com/siderolabs/talos/pkg/machinery/config/configloader"
	"github.com/siderolabs/talos/pkg/machinery/resources/config"
	"github.com/siderolabs/talos/pkg/machinery/resources/k8s"
	"github.com/siderolabs/talos/pkg/machinery/resources/v1alpha1"
)

type output struct {
	Talos      string            `json:"talos"`
	StaticPods map[string]any    `json:"staticPods"`
	Files      map[string]string `json:"files"`
	Kubelet    *kubelet          `json:"kubelet"`
	Manifests  []map[string]any  `json:"manifests"`
}

type kubelet struct {
	Image            string         `json:"image"`
	Args             []string       `json:"args"`
	ExpectedNodename string         `json:"expectedNodename"`
	Config           map[string]any `json:"config"`
}

func main() {
	cfgPath := flag.String("config", "", "machine config YAML (as it would reach the node)")
	nodeName := flag.String("node-name", "", "node name")
	nodeIP := flag.String("node-ip", "", "node IP")
	timeout := flag.Duration("timeout", 20*time.Second, "give up after")
	flag.Parse()

	if err := run(*cfgPath, *nodeName, *nodeIP, *timeout); err != nil {
		fmt.Fprintln(os.Stderr, "talos-compute:", err)
		os.Exit(1)
	}
}

func run(cfgPath, nodeName, nodeIP string, timeout time.Duration) error {
	if cfgPath == "" || nodeName == "" || nodeIP == "" {
		return fmt.Errorf("--config, --node-name and --node-ip are required")
	}
	ip, err := netip.ParseAddr(nodeIP)
	if err != nil {
		return fmt.Errorf("--node-ip: %w", err)
	}
	provider, err := configloader.NewFromFile(cfgPath)
	if err != nil {
		return fmt.Errorf("loading %s: %w", cfgPath, err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()

	st := state.WrapCore(namespaced.NewState(inmem.Build))
	// controller failures are logged (and retried) by the runtime: collect them as the verdict
	core, logs := observer.New(zapcore.ErrorLevel)
	rt, err := runtime.NewRuntime(st, zap.New(core))
	if err != nil {
		return err
	}
	for _, c := range controllers() {
		if err = rt.RegisterController(c); err != nil {
			return err
		}
	}
	done := make(chan error, 1)
	go func() { done <- rt.Run(ctx) }()

	// what machined's other controllers would provide on a healthy control-plane node
	machineType := config.NewMachineType()
	machineType.SetMachineType(provider.Machine().Type())
	nodename := k8s.NewNodename(k8s.NamespaceName, k8s.NodenameID)
	nodename.TypedSpec().Nodename = nodeName
	nodeIPRes := k8s.NewNodeIP(k8s.NamespaceName, k8s.KubeletID)
	nodeIPRes.TypedSpec().Addresses = []netip.Addr{ip}
	etcd := v1alpha1.NewService("etcd")
	etcd.TypedSpec().Running = true
	etcd.TypedSpec().Healthy = true
	staticPodServer := k8s.NewStaticPodServerStatus(k8s.NamespaceName, k8s.StaticPodServerStatusResourceID)
	staticPodServer.TypedSpec().URL = "http://127.0.0.1:45983"
	// stand-ins for the render controllers, which write to /system (their file contents come from the shim)
	secretsStatus := k8s.NewSecretsStatus(k8s.ControlPlaneNamespaceName, k8s.StaticPodSecretsStaticPodID)
	secretsStatus.TypedSpec().Ready = true
	configStatus := k8s.NewConfigStatus(k8s.ControlPlaneNamespaceName, k8s.ConfigStatusStaticPodID)
	configStatus.TypedSpec().Ready = true
	for _, r := range []resource.Resource{config.NewMachineConfig(provider), machineType, nodename, nodeIPRes, etcd, staticPodServer, secretsStatus, configStatus} {
		if err = st.Create(ctx, r); err != nil {
			return err
		}
	}

	out, err := collect(ctx, st, logs)
	cancel()
	<-done
	if err != nil {
		return err
	}
	out.Talos = talosLine
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// collect waits until the static pods, kubelet spec and manifests exist and nothing has changed for a moment.
func collect(ctx context.Context, st state.State, logs *observer.ObservedLogs) (*output, error) {
	var last string
	stableSince := time.Now()
	for {
		if errs := failures(logs); errs != nil {
			return nil, errs
		}
		out, err := snapshot(ctx, st)
		if err != nil {
			return nil, err
		}
		b, _ := json.Marshal(out)
		if string(b) != last {
			last, stableSince = string(b), time.Now()
		}
		ready := out.StaticPods[k8s.APIServerID] != nil && out.Kubelet != nil && len(out.Manifests) > 0 && len(out.Files) > 0
		if ready && time.Since(stableSince) > 300*time.Millisecond {
			return out, nil
		}
		select {
		case <-ctx.Done():
			if errs := failures(logs); errs != nil {
				return nil, errs
			}
			return nil, fmt.Errorf("timed out; computed so far: static pods %v, kubelet %v, %d manifests, %d files",
				keys(out.StaticPods), out.Kubelet != nil, len(out.Manifests), len(out.Files))
		case <-time.After(50 * time.Millisecond):
		}
	}
}

type controllerErrors []string

func (e controllerErrors) Error() string {
	s := "a Talos controller rejected the config:"
	for _, m := range e {
		s += "\n  " + m
	}
	return s
}

func failures(logs *observer.ObservedLogs) error {
	seen := map[string]bool{}
	var errs controllerErrors
	for _, entry := range logs.All() {
		m := entry.Message
		fields := entry.ContextMap()
		if c, ok := fields["controller"]; ok {
			m = fmt.Sprintf("%v: %s", c, m)
		}
		if e, ok := fields["error"]; ok {
			m += fmt.Sprintf(": %v", e)
		}
		if !seen[m] {
			seen[m] = true
			errs = append(errs, m)
		}
	}
	if errs == nil {
		return nil
	}
	return errs
}

func snapshot(ctx context.Context, st state.State) (*output, error) {
	out := &output{StaticPods: map[string]any{}, Files: map[string]string{}}
	pods, err := safe.StateListAll[*k8s.StaticPod](ctx, st)
	if err != nil {
		return nil, err
	}
	for pod := range pods.All() {
		out.StaticPods[pod.Metadata().ID()] = pod.TypedSpec().Pod
	}
	spec, err := safe.StateGetByID[*k8s.KubeletSpec](ctx, st, k8s.KubeletID)
	if err == nil {
		s := spec.TypedSpec()
		out.Kubelet = &kubelet{Image: s.Image, Args: s.Args, ExpectedNodename: s.ExpectedNodename, Config: s.Config}
	} else if !state.IsNotFoundError(err) {
		return nil, err
	}
	manifests, err := safe.StateListAll[*k8s.Manifest](ctx, st)
	if err != nil {
		return nil, err
	}
	for m := range manifests.All() {
		for _, item := range m.TypedSpec().Items {
			obj := item.Object
			if obj["kind"] == "Secret" { // the bootstrap token: never printed
				obj = map[string]any{"apiVersion": obj["apiVersion"], "kind": "Secret", "metadata": obj["metadata"], "data": "<redacted>"}
			}
			out.Manifests = append(out.Manifests, obj)
		}
	}
	if len(out.StaticPods) > 0 {
		files, err := k8sctrl.BulwarkConfigFiles(ctx, st)
		if err != nil && !state.IsNotFoundError(err) {
			return nil, err
		}
		for k, v := range files {
			out.Files[k] = v
		}
		enc, err := encryptionConfig(ctx, st)
		if err != nil && !state.IsNotFoundError(err) {
			return nil, err
		}
		if enc != "" {
			out.Files["kube-apiserver/encryptionconfig.yaml"] = redact(enc)
		}
	}
	return out, nil
}

// secretRE matches the key material of an encryption config: never printed (the key names stay).
var secretRE = regexp.MustCompile(`(?m)^(\s*secret:\s*).+$`)

func redact(s string) string { return secretRE.ReplaceAllString(s, "${1}<redacted>") }

func keys(m map[string]any) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
