//go:build talos113

package main

import (
	"context"

	"github.com/cosi-project/runtime/pkg/controller"
	"github.com/cosi-project/runtime/pkg/safe"
	"github.com/cosi-project/runtime/pkg/state"

	k8sctrl "github.com/siderolabs/talos/internal/app/machined/pkg/controllers/k8s"
	"github.com/siderolabs/talos/internal/app/machined/pkg/controllers/k8s/internal/k8stemplates"
	"github.com/siderolabs/talos/internal/app/machined/pkg/controllers/secrets"
	secretsres "github.com/siderolabs/talos/pkg/machinery/resources/secrets"
)

const talosLine = "1.13"

// controllers are the ones machined registers (v1alpha2_controller.go) that compute the control plane and kubelet.
func controllers() []controller.Controller {
	return []controller.Controller{
		secrets.NewRootKubernetesController(),
		k8sctrl.NewControlPlaneAPIServerController(),
		k8sctrl.NewControlPlaneAdmissionControlController(),
		k8sctrl.NewControlPlaneAuditPolicyController(),
		k8sctrl.NewControlPlaneAuthorizationController(),
		k8sctrl.NewControlPlaneBootstrapManifestsController(),
		k8sctrl.NewControlPlaneControllerManagerController(),
		k8sctrl.NewControlPlaneSchedulerController(),
		&k8sctrl.ControlPlaneStaticPodController{},
		&k8sctrl.ManifestController{},
		k8sctrl.NewKubeletConfigController(),
		&k8sctrl.KubeletSpecController{},
	}
}

// encryptionConfig is what RenderSecretsStaticPodController writes as encryptionconfig.yaml.
func encryptionConfig(ctx context.Context, st state.State) (string, error) {
	root, err := safe.StateGetByID[*secretsres.KubernetesRoot](ctx, st, secretsres.KubernetesRootID)
	if err != nil {
		return "", err
	}
	b, err := k8stemplates.Marshal(k8stemplates.APIServerEncryptionConfig(root.TypedSpec()))
	return string(b), err
}
