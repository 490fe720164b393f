// Worker mode: `talos-compute worker --config <worker machine config> --node-name <name> --node-ip <ip>` runs the
// controllers machined runs for a worker's kubelet and node (KubeletConfigController, KubeletSpecController,
// NodeLabelSpecController, NodeTaintSpecController) and prints the kubelet spec (KubeletConfiguration and flags)
// with the labels and taints Talos applies to the Node. No chroot: these controllers write no files.
// `talos-compute node-labels --config <any machine config> ...` runs only the label and taint controllers, for a
// node of any type (the control-plane mode does not print them).
//
// The inputs machined's other controllers would provide are given as in the control-plane mode (main.go): the
// machine type, the node name and IP, the static pod server's URL. No extension is installed (Talos would add an
// extensions.talos.dev/<name> label per system extension).
//
// The mode is picked in init, before main parses its flags, so main.go stays the control-plane mode unchanged.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"sort"
	"time"

	"github.com/cosi-project/runtime/pkg/controller"
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
	v1alpha1runtime "github.com/siderolabs/talos/internal/app/machined/pkg/runtime"
	"github.com/siderolabs/talos/pkg/machinery/config/configloader"
	machinerykubelet "github.com/siderolabs/talos/pkg/machinery/kubelet"
	"github.com/siderolabs/talos/pkg/machinery/resources/config"
	"github.com/siderolabs/talos/pkg/machinery/resources/k8s"
)

type workerOutput struct {
	Talos       string   `json:"talos"`
	MachineType string   `json:"machineType"`
	Kubelet     *kubelet `json:"kubelet,omitempty"` // worker mode only
	// NodeLabels and NodeTaints are what NodeApplyController would set on the Node object.
	NodeLabels             map[string]string `json:"nodeLabels"`
	NodeTaints             []taint           `json:"nodeTaints"`
	KubeletProtectedFields []string          `json:"kubeletProtectedFields"`
}

type taint struct {
	Key    string `json:"key"`
	Value  string `json:"value"`
	Effect string `json:"effect"`
}

func init() {
	if len(os.Args) < 2 || (os.Args[1] != "worker" && os.Args[1] != "node-labels") {
		return
	}
	mode := os.Args[1]
	fs := flag.NewFlagSet("talos-compute "+mode, flag.ExitOnError)
	cfgPath := fs.String("config", "", "worker machine config YAML (as it would reach the node)")
	nodeName := fs.String("node-name", "", "node name")
	nodeIP := fs.String("node-ip", "", "node IP")
	timeout := fs.Duration("timeout", 20*time.Second, "give up after")
	_ = fs.Parse(os.Args[2:])
	if err := runWorker(*cfgPath, *nodeName, *nodeIP, *timeout, mode == "worker"); err != nil {
		fmt.Fprintln(os.Stderr, "talos-compute "+mode+":", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// runWorker computes the node's labels and taints, and with withKubelet (a worker only) its kubelet spec.
func runWorker(cfgPath, nodeName, nodeIP string, timeout time.Duration, withKubelet bool) error {
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
	if t := provider.Machine().Type(); withKubelet && t.IsControlPlane() {
		return fmt.Errorf("machine type %q: `talos-compute worker` computes a worker (for a control plane, run talos-compute without `worker`)", t)
	}

	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	st := state.WrapCore(namespaced.NewState(inmem.Build))
	core, logs := observer.New(zapcore.ErrorLevel)
	rt, err := runtime.NewRuntime(st, zap.New(core))
	if err != nil {
		return err
	}
	ctrls := []controller.Controller{&k8sctrl.NodeLabelSpecController{}, &k8sctrl.NodeTaintSpecController{}}
	if withKubelet {
		ctrls = append(ctrls, k8sctrl.NewKubeletConfigController(), &k8sctrl.KubeletSpecController{V1Alpha1Mode: v1alpha1runtime.ModeMetal})
	}
	for _, c := range ctrls {
		if err = rt.RegisterController(c); err != nil {
			return err
		}
	}
	done := make(chan error, 1)
	go func() { done <- rt.Run(ctx) }()

	machineType := config.NewMachineType()
	machineType.SetMachineType(provider.Machine().Type())
	nodename := k8s.NewNodename(k8s.NamespaceName, k8s.NodenameID)
	nodename.TypedSpec().Nodename = nodeName
	nodeIPRes := k8s.NewNodeIP(k8s.NamespaceName, k8s.KubeletID)
	nodeIPRes.TypedSpec().Addresses = []netip.Addr{ip}
	staticPodServer := k8s.NewStaticPodServerStatus(k8s.NamespaceName, k8s.StaticPodServerStatusResourceID)
	staticPodServer.TypedSpec().URL = "http://127.0.0.1:45983"
	for _, r := range []resource.Resource{config.NewMachineConfig(provider), machineType, nodename, nodeIPRes, staticPodServer} {
		if err = st.Create(ctx, r); err != nil {
			return err
		}
	}

	out, err := collectWorker(ctx, st, logs, withKubelet)
	cancel()
	<-done
	if err != nil {
		return err
	}
	out.Talos, out.MachineType = talosLine, provider.Machine().Type().String()
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// collectWorker waits until the kubelet spec exists and nothing has changed for a moment (labels and taints may be
// none, so their absence cannot be waited for: the quiet period covers them).
func collectWorker(ctx context.Context, st state.State, logs *observer.ObservedLogs, withKubelet bool) (*workerOutput, error) {
	var last string
	stableSince := time.Now()
	for {
		if errs := failures(logs); errs != nil {
			return nil, errs
		}
		out, err := workerSnapshot(ctx, st)
		if err != nil {
			return nil, err
		}
		b, _ := json.Marshal(out)
		if string(b) != last {
			last, stableSince = string(b), time.Now()
		}
		if (out.Kubelet != nil || !withKubelet) && time.Since(stableSince) > 500*time.Millisecond {
			return out, nil
		}
		select {
		case <-ctx.Done():
			if errs := failures(logs); errs != nil {
				return nil, errs
			}
			return nil, fmt.Errorf("timed out; kubelet spec computed: %v", out.Kubelet != nil)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func workerSnapshot(ctx context.Context, st state.State) (*workerOutput, error) {
	out := &workerOutput{NodeLabels: map[string]string{}, NodeTaints: []taint{}, KubeletProtectedFields: machinerykubelet.ProtectedConfigurationFields}
	spec, err := safe.StateGetByID[*k8s.KubeletSpec](ctx, st, k8s.KubeletID)
	if err == nil {
		s := spec.TypedSpec()
		out.Kubelet = &kubelet{Image: s.Image, Args: s.Args, ExpectedNodename: s.ExpectedNodename, Config: s.Config}
	} else if !state.IsNotFoundError(err) {
		return nil, err
	}
	labels, err := safe.StateListAll[*k8s.NodeLabelSpec](ctx, st)
	if err != nil {
		return nil, err
	}
	for l := range labels.All() {
		out.NodeLabels[l.TypedSpec().Key] = l.TypedSpec().Value
	}
	taints, err := safe.StateListAll[*k8s.NodeTaintSpec](ctx, st)
	if err != nil {
		return nil, err
	}
	for t := range taints.All() {
		out.NodeTaints = append(out.NodeTaints, taint{Key: t.TypedSpec().Key, Value: t.TypedSpec().Value, Effect: t.TypedSpec().Effect})
	}
	sort.Slice(out.NodeTaints, func(i, j int) bool { return out.NodeTaints[i].Key < out.NodeTaints[j].Key })
	return out, nil
}
