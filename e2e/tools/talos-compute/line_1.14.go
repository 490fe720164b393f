//go:build !talos113

package main

import (
	"context"

	"github.com/cosi-project/runtime/pkg/controller"
	"github.com/cosi-project/runtime/pkg/safe"
	"github.com/cosi-project/runtime/pkg/state"

	k8sctrl "github.com/siderolabs/talos/internal/app/machined/pkg/controllers/k8s"
	"github.com/siderolabs/talos/internal/app/machined/pkg/controllers/secrets"
	"github.com/siderolabs/talos/pkg/machinery/resources/k8s"
)

const talosLine = "1.14"

// controllers are the ones machined registers (v1alpha2_controller.go) that compute the control plane and kubelet.
func controllers() []controller.Controller {
	return []controller.Controller{
		secrets.NewRootKubernetesController(),
		k8sctrl.NewControlPlaneAPIServerController(),
		k8sctrl.NewControlPlaneAPIServerFinalController(),
		k8sctrl.NewControlPlaneAdmissionControlController(),
		k8sctrl.NewControlPlaneAuditPolicyController(),
		k8sctrl.NewControlPlaneAuthenticationController(),
		k8sctrl.NewControlPlaneAuthorizationController(),
		k8sctrl.NewControlPlaneBootstrapManifestsController(),
		k8sctrl.NewControlPlaneControllerManagerController(),
		k8sctrl.NewControlPlaneControllerManagerFinalController(),
		k8sctrl.NewControlPlaneSchedulerController(),
		k8sctrl.NewControlPlaneSchedulerFinalController(),
		&k8sctrl.ControlPlaneStaticPodController{},
		&k8sctrl.EtcdEncryptionConfigController{},
		&k8sctrl.ManifestController{},
		k8sctrl.NewKubeletConfigController(),
		&k8sctrl.KubeletSpecController{},
	}
}

// encryptionConfig is what RenderSecretsStaticPodController writes as encryptionconfig.yaml.
func encryptionConfig(ctx context.Context, st state.State) (string, error) {
	res, err := safe.StateGetByID[*k8s.EtcdEncryptionConfig](ctx, st, k8s.EtcdEncryptionConfigID)
	if err != nil {
		return "", err
	}
	return res.TypedSpec().Configuration, nil
}
