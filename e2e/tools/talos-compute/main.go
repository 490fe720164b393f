// talos-compute runs Talos's own controllers on a machine config, in memory, and prints what machined would
// compute for a control-plane node: the static pods, the files written for them, the kubelet spec, the kube-proxy
// manifest, and etcd's command line (as machined's etcd service builds it) with the PKI files Talos's etcd
// controllers write. It exits 1 with the controllers' errors when one rejects the config.
//
// It is built by e2e/tools/talos-compute.sh inside a copy of the Talos module of each line (internal packages are
// importable only from there); see e2e/tools/README.md.
//
// Usage: talos-compute --config <machine config YAML> --node-name <name> --node-ip <ip> --root <empty dir>
//
// --root becomes the process's root directory (chroot, so it needs root or `unshare -r`) once the config is read:
// Talos's etcd PKI controller writes /system/secrets/etcd there, and etcd's args builder finds /var/lib/etcd
// empty there, as on a fresh node. The caller reads the PKI files from it and removes it.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"syscall"
	"time"

	"github.com/cosi-project/runtime/pkg/controller"
	"github.com/cosi-project/runtime/pkg/controller/runtime"
	"github.com/cosi-project/runtime/pkg/resource"
	"github.com/cosi-project/runtime/pkg/safe"
	"github.com/cosi-project/runtime/pkg/state"
	"github.com/cosi-project/runtime/pkg/state/impl/inmem"
	"github.com/cosi-project/runtime/pkg/state/impl/namespaced"
	"github.com/siderolabs/go-procfs/procfs"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	etcdctrl "github.com/siderolabs/talos/internal/app/machined/pkg/controllers/etcd"
	k8sctrl "github.com/siderolabs/talos/internal/app/machined/pkg/controllers/k8s"
	runtimectrl "github.com/siderolabs/talos/internal/app/machined/pkg/controllers/runtime"
	secretsctrl "github.com/siderolabs/talos/internal/app/machined/pkg/controllers/secrets"
	v1alpha1runtime "github.com/siderolabs/talos/internal/app/machined/pkg/runtime"
	"github.com/siderolabs/talos/internal/app/machined/pkg/system/services"
	"github.com/siderolabs/talos/internal/pkg/selinux"
	"github.com/siderolabs/talos/pkg/machinery/config/configloader"
	"github.com/siderolabs/talos/pkg/machinery/constants"
	machinerykubelet "github.com/siderolabs/talos/pkg/machinery/kubelet"
	"github.com/siderolabs/talos/pkg/machinery/resources/config"
	etcdres "github.com/siderolabs/talos/pkg/machinery/resources/etcd"
	"github.com/siderolabs/talos/pkg/machinery/resources/k8s"
	"github.com/siderolabs/talos/pkg/machinery/resources/network"
	runtimeres "github.com/siderolabs/talos/pkg/machinery/resources/runtime"
	"github.com/siderolabs/talos/pkg/machinery/resources/secrets"
	timeres "github.com/siderolabs/talos/pkg/machinery/resources/time"
	"github.com/siderolabs/talos/pkg/machinery/resources/v1alpha1"
)

type output struct {
	Talos      string            `json:"talos"`
	StaticPods map[string]any    `json:"staticPods"`
	Files      map[string]string `json:"files"`
	Kubelet    *kubelet          `json:"kubelet"`
	Manifests  []map[string]any  `json:"manifests"`
	Etcd       *etcdOut          `json:"etcd"`
	// KernelParams are the sysctls Talos sets by default on a metal node (KernelParamDefaultsController, KSPP's
	// included), key as Talos names them (proc.sys.<a.b>) -> value.
	KernelParams map[string]string `json:"kernelParams"`
	// KubernetesSecretFiles are the files RenderSecretsStaticPodController wrote under /system/secrets/kubernetes
	// (paths inside --root; contents never printed).
	KubernetesSecretFiles []string `json:"kubernetesSecretFiles"`
	// KubeletProtectedFields are the KubeletConfiguration fields the kubelet spec controller refuses in extraConfig.
	KubeletProtectedFields []string `json:"kubeletProtectedFields"`
	// OSRoot is what RootOSController makes of the Talos API CA: the certificates apid and trustd accept client
	// certificates from, and the issuing CA's certificate (certificates are public; the key is never printed).
	OSRoot *osRoot `json:"osRoot"`
}

type osRoot struct {
	IssuingCA   string   `json:"issuingCA"`
	AcceptedCAs []string `json:"acceptedCAs"`
}

type etcdOut struct {
	// Args is etcd's command line after the binary, as machined's etcd service builds it.
	Args []string `json:"args"`
	// PKIFiles are the files Talos's etcd PKI controller wrote (paths inside --root; contents never printed).
	PKIFiles []string `json:"pkiFiles"`
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
	root := flag.String("root", "", "empty directory to chroot into (see the package comment)")
	timeout := flag.Duration("timeout", 20*time.Second, "give up after")
	flag.Parse()

	if err := run(*cfgPath, *nodeName, *nodeIP, *root, *timeout); err != nil {
		fmt.Fprintln(os.Stderr, "talos-compute:", err)
		os.Exit(1)
	}
}

func run(cfgPath, nodeName, nodeIP, root string, timeout time.Duration) error {
	if cfgPath == "" || nodeName == "" || nodeIP == "" || root == "" {
		return fmt.Errorf("--config, --node-name, --node-ip and --root are required")
	}
	ip, err := netip.ParseAddr(nodeIP)
	if err != nil {
		return fmt.Errorf("--node-ip: %w", err)
	}
	provider, err := configloader.NewFromFile(cfgPath)
	if err != nil {
		return fmt.Errorf("loading %s: %w", cfgPath, err)
	}
	if t := provider.Machine().Type(); !t.IsControlPlane() || t.String() == "init" {
		return fmt.Errorf("machine type %q: talos-compute computes a control-plane node (type controlplane)", t)
	}
	if err = enterRoot(root); err != nil {
		return err
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
	for _, c := range append(controllers(), etcdControllers()...) {
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
	// stand-in for the config render controller, which writes to /system as the pod users (its files come from the shim)
	configStatus := k8s.NewConfigStatus(k8s.ControlPlaneNamespaceName, k8s.ConfigStatusStaticPodID)
	configStatus.TypedSpec().Ready = true
	inputs := append([]resource.Resource{config.NewMachineConfig(provider), machineType, nodename, nodeIPRes, etcd, staticPodServer, configStatus},
		networkInputs(nodeName, ip)...)
	for _, r := range inputs {
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
		ready := out.StaticPods[k8s.APIServerID] != nil && out.Kubelet != nil && len(out.Manifests) > 0 && len(out.Files) > 0 &&
			out.Etcd != nil && len(out.Etcd.PKIFiles) > 0 && len(out.KernelParams) > 0 && len(out.KubernetesSecretFiles) > 0 && out.OSRoot != nil
		if ready && time.Since(stableSince) > 300*time.Millisecond {
			return out, nil
		}
		select {
		case <-ctx.Done():
			if errs := failures(logs); errs != nil {
				return nil, errs
			}
			return nil, fmt.Errorf("timed out; computed so far: static pods %v, kubelet %v, %d manifests, %d files, etcd %v",
				keys(out.StaticPods), out.Kubelet != nil, len(out.Manifests), len(out.Files), out.Etcd != nil)
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
	out := &output{StaticPods: map[string]any{}, Files: map[string]string{}, KernelParams: map[string]string{},
		KubeletProtectedFields: machinerykubelet.ProtectedConfigurationFields}
	params, err := safe.StateListAll[*runtimeres.KernelParamDefaultSpec](ctx, st)
	if err != nil {
		return nil, err
	}
	for p := range params.All() {
		out.KernelParams[p.Metadata().ID()] = p.TypedSpec().Value
	}
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
	if out.Etcd, err = etcdSnapshot(ctx, st); err != nil {
		return nil, err
	}
	if out.KubernetesSecretFiles, err = kubernetesSecretFiles(ctx, st); err != nil {
		return nil, err
	}
	if out.OSRoot, err = osRootSnapshot(ctx, st); err != nil {
		return nil, err
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

// etcdControllers compute etcd's spec and PKI, the Kubernetes certificates and the files Talos writes from them, and
// the default sysctls, as machined does (v1alpha2_controller.go), on both lines.
func etcdControllers() []controller.Controller {
	return []controller.Controller{
		&secretsctrl.KubernetesCertSANsController{},
		&secretsctrl.KubernetesDynamicCertsController{},
		&secretsctrl.KubernetesController{},
		&k8sctrl.RenderSecretsStaticPodController{},
		secretsctrl.NewRootEtcdController(),
		secretsctrl.NewRootOSController(),
		&secretsctrl.EtcdController{},
		etcdctrl.NewConfigController(),
		&etcdctrl.SpecController{},
		&etcdctrl.PKIController{},
		&runtimectrl.KernelParamDefaultsController{V1Alpha1Mode: v1alpha1runtime.ModeMetal},
	}
}

// networkInputs are what machined's network and time controllers would report on a node whose only address is ip
// (filtered for etcd: no Kubernetes-managed addresses), with its hostname set and the clock in sync.
func networkInputs(hostname string, ip netip.Addr) []resource.Resource {
	status := network.NewStatus(network.NamespaceName, network.StatusID)
	status.TypedSpec().AddressReady, status.TypedSpec().HostnameReady = true, true
	status.TypedSpec().ConnectivityReady, status.TypedSpec().EtcFilesReady = true, true
	host := network.NewHostnameStatus(network.NamespaceName, network.HostnameID)
	host.TypedSpec().Hostname = hostname
	clock := timeres.NewStatus()
	clock.TypedSpec().Synced = true
	out := []resource.Resource{status, host, clock}
	for _, id := range []resource.ID{network.NodeAddressRoutedID, network.NodeAddressCurrentID, network.NodeAddressAccumulativeID} {
		addrs := network.NewNodeAddress(network.NamespaceName, network.FilteredNodeAddressID(id, k8s.NodeAddressFilterNoK8s))
		addrs.TypedSpec().Addresses = []netip.Prefix{netip.PrefixFrom(ip, ip.BitLen())}
		out = append(out, addrs)
	}
	return out
}

// enterRoot makes root the process's root directory, with the empty etcd data directory of a fresh node.
func enterRoot(root string) error {
	if err := os.MkdirAll(filepath.Join(root, constants.EtcdDataPath), 0o700); err != nil {
		return err
	}
	// read (and cached by Talos) while /proc is still there: the kernel command line and whether SELinux is on
	procfs.ProcCmdline()
	selinux.IsEnabled()
	if err := syscall.Chroot(root); err != nil {
		return fmt.Errorf("chroot %s (talos-compute needs root, or `unshare -r`): %w", root, err)
	}
	return os.Chdir("/")
}

// etcdSnapshot is etcd's command line once Talos's etcd spec exists, and the PKI files once they are written.
func etcdSnapshot(ctx context.Context, st state.State) (*etcdOut, error) {
	spec, err := safe.StateGetByID[*etcdres.Spec](ctx, st, etcdres.SpecID)
	if state.IsNotFoundError(err) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	args, err := services.BulwarkEtcdArgs(ctx, spec.TypedSpec())
	if err != nil {
		return nil, fmt.Errorf("etcd service: %w", err)
	}
	out := &etcdOut{Args: args, PKIFiles: []string{}}
	pki, err := safe.StateGetByID[*etcdres.PKIStatus](ctx, st, etcdres.PKIID)
	if err == nil && pki.TypedSpec().Ready {
		entries, err := os.ReadDir(constants.EtcdPKIPath)
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			out.PKIFiles = append(out.PKIFiles, constants.EtcdPKIPath+"/"+e.Name())
		}
	} else if err != nil && !state.IsNotFoundError(err) {
		return nil, err
	}
	return out, nil
}

// kubernetesSecretFiles lists what RenderSecretsStaticPodController wrote, once it says it is done.
func kubernetesSecretFiles(ctx context.Context, st state.State) ([]string, error) {
	status, err := safe.StateGetByID[*k8s.SecretsStatus](ctx, st, k8s.StaticPodSecretsStaticPodID)
	if state.IsNotFoundError(err) || (err == nil && !status.TypedSpec().Ready) {
		return []string{}, nil
	} else if err != nil {
		return nil, err
	}
	files := []string{}
	err = filepath.WalkDir(filepath.Dir(constants.KubernetesAPIServerSecretsDir), func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, path)
		}
		return err
	})
	return files, err
}

// osRootSnapshot is the OS root secrets' certificates once RootOSController has made them.
func osRootSnapshot(ctx context.Context, st state.State) (*osRoot, error) {
	res, err := safe.StateGetByID[*secrets.OSRoot](ctx, st, secrets.OSRootID)
	if state.IsNotFoundError(err) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	out := &osRoot{AcceptedCAs: []string{}}
	if ca := res.TypedSpec().IssuingCA; ca != nil {
		out.IssuingCA = string(ca.Crt)
	}
	for _, ca := range res.TypedSpec().AcceptedCAs {
		out.AcceptedCAs = append(out.AcceptedCAs, string(ca.Crt))
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
