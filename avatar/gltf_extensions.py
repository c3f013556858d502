"""glTF extensions: which ones the loader honours, and a clear error for those it cannot.

An asset that *requires* an extension the loader lacks (``extensionsRequired``), or whose
geometry or textures exist only in such an extension's encoding (a Draco primitive with no
uncompressed accessors, a meshopt buffer whose plain copy is a placeholder, a texture with only
a KTX2 source), is refused with the extension's name: never drawn as a silently empty mesh.
"""

from __future__ import annotations

from pathlib import Path

import pygltflib

from avatar.model import AvatarLoadError

#: Extensions whose data this loader decodes or safely ignores when an asset requires them.
SUPPORTED_EXTENSIONS = frozenset(
    {
        "KHR_materials_unlit",
        "KHR_texture_transform",
        "KHR_mesh_quantization",
        "KHR_materials_emissive_strength",
        "EXT_texture_webp",
        "VRMC_vrm",
        "VRMC_materials_mtoon",
        "VRMC_springBone",
        "VRMC_node_constraint",
        "VRM",
    }
)
#: What the unsupported extensions avatars meet do, for the error message.
_KNOWN_UNSUPPORTED = {
    "KHR_draco_mesh_compression": "Draco mesh compression",
    "EXT_meshopt_compression": "meshopt buffer compression",
    "KHR_meshopt_compression": "meshopt buffer compression",
    "KHR_texture_basisu": "KTX2 / Basis Universal textures",
    "EXT_mesh_gpu_instancing": "GPU instancing",
}


def check_extensions(gltf: pygltflib.GLTF2, path: Path) -> None:
    """Refuse assets whose geometry or textures need an extension this loader lacks.

    Raises:
        AvatarLoadError: naming the extension (``extensionsRequired``, or a primitive /
            buffer view / texture that only the extension can decode).
    """
    required = set(gltf.extensionsRequired or [])
    for prim in (p for m in gltf.meshes for p in m.primitives):
        for name in (prim.extensions or {}).keys() & _KNOWN_UNSUPPORTED.keys():
            position = prim.attributes.POSITION
            if position is None or gltf.accessors[position].bufferView is None:
                required.add(name)  # no uncompressed fallback data
    for view in gltf.bufferViews or []:
        for name in (view.extensions or {}).keys() & _KNOWN_UNSUPPORTED.keys():
            buffer = gltf.buffers[view.buffer]
            if (buffer.extensions or {}).get(name, {}).get("fallback"):
                required.add(name)  # the plain buffer is a placeholder
    for texture in gltf.textures or []:
        if texture.source is None and "KHR_texture_basisu" in (texture.extensions or {}):
            required.add("KHR_texture_basisu")
    missing = sorted(required - SUPPORTED_EXTENSIONS)
    if missing:
        what = ", ".join(f"{n} ({_KNOWN_UNSUPPORTED.get(n, 'unsupported')})" for n in missing)
        raise AvatarLoadError(
            f"{path.name} requires glTF extension(s) this renderer does not support: {what}. "
            "Export the avatar without them (e.g. `gltf-transform copy in.glb out.glb` "
            "decompresses Draco/meshopt; convert KTX2 textures to PNG)."
        )
