"""Volumes on this host: an ext4 image file per instance, loop-mounted at its mountpoint."""

from __future__ import annotations

from strongroom.drivers.linux import mount_copies, volumes
from strongroom.drivers.local_layout import HostLayout, ensure_shared_dir

GIB = 1024**3
_IMAGE_SUFFIX = ".img"


class LocalVolume:
    def __init__(self, layout: HostLayout) -> None:
        self.layout = layout

    def create(self, instance_id: str, size_gib: int) -> None:
        ensure_shared_dir(self.layout.mounts_dir)
        image = self.layout.image(instance_id)
        volumes.create_image(image, size_gib * GIB)
        mountpoint = self.layout.mountpoint(instance_id)
        volumes.mount_image(image, mountpoint)
        mountpoint.chmod(0o755)  # the root of the file system; the engine's user goes through

    def delete(self, instance_id: str) -> None:
        mountpoint = self.layout.mountpoint(instance_id)
        volumes.unmount(mountpoint)
        # Sandboxes started later hold private copies of this mount in their own mount
        # namespaces (`ip netns exec` copies the host's mounts; the host's are not shared, so
        # the unmount above does not reach them). Removing the mountpoint directory detaches
        # those copies (Linux >= 3.18), so the loop device is free before it is detached.
        if mountpoint.is_dir():
            mountpoint.rmdir()
        volumes.remove_image(self.layout.image(instance_id))

    def grow(self, instance_id: str, size_gib: int) -> None:
        image, mountpoint = self.layout.image(instance_id), self.layout.mountpoint(instance_id)
        if not volumes.can_grow_online():
            mount_copies.release(mountpoint)  # sandboxes started later hold copies of it
        volumes.grow_mounted(image, mountpoint, size_gib * GIB)

    def list_volumes(self) -> set[str]:
        found: set[str] = set()
        if self.layout.volumes_dir.is_dir():
            found.update(p.stem for p in self.layout.volumes_dir.glob(f"*{_IMAGE_SUFFIX}"))
        if self.layout.mounts_dir.is_dir():
            found.update(p.name for p in self.layout.mounts_dir.iterdir() if p.is_dir())
        for device in volumes.list_loop_devices(f"{self.layout.volumes_dir}/"):
            name = device.backing_file.rsplit("/", 1)[-1]
            found.add(name.removesuffix(_IMAGE_SUFFIX))
        return found
