/**
 * Where a node boots from before Talos is installed: the Image Factory's assets for the node's schematic
 * and Talos version (siderolabs/image-factory docs/api.md, "GET /image/:schematic/:version/:path" and
 * "GET /pxe/..."). SecureBoot nodes (edge) get the signed variants: the ISO that enrols the factory's
 * keys, and PXE by the signed UKI (a separate kernel and initramfs could not be verified by the firmware).
 * Bare metal, amd64.
 */
export interface BootMedia {
  iso: string;
  /** Raw disk image, written to the install disk with e.g. `xz -d | dd`. */
  rawDisk: string;
  pxe: {
    /** An iPXE script that chains to the kernel (or UKI) with its command line: `chain <url>`. */
    ipxeScript: string;
    kernel?: string;
    initramfs?: string;
    /** SecureBoot: one signed EFI binary with kernel, initramfs and command line inside. */
    uki?: string;
    /** The kernel command line (the schematic's arguments included); with a UKI, for reference only. */
    cmdline: string;
  };
}

const ARCH = 'amd64';

export function bootMedia(factoryUrl: string, schematicId: string, talosVersion: string, secureboot: boolean): BootMedia {
  const sb = secureboot ? '-secureboot' : '';
  const image = (path: string) => new URL(`/image/${schematicId}/${talosVersion}/${path}`, factoryUrl).href;
  const ipxeScript = new URL(`/pxe/${schematicId}/${talosVersion}/metal-${ARCH}${sb}`, factoryUrl).href;
  const cmdline = image(`cmdline-metal-${ARCH}${sb}`);
  return {
    iso: image(`metal-${ARCH}${sb}.iso`),
    rawDisk: image(`metal-${ARCH}${sb}.raw.xz`),
    pxe: secureboot
      ? { ipxeScript, uki: image(`metal-${ARCH}-secureboot-uki.efi`), cmdline }
      : { ipxeScript, kernel: image(`kernel-${ARCH}`), initramfs: image(`initramfs-${ARCH}.xz`), cmdline },
  };
}
