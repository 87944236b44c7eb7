#!/usr/bin/env python3
"""Builds OCI image layouts for the image tests with Python's tarfile, hashlib and json only,
following the OCI image spec (image-layout.md, manifest.md, config.md, layer.md), so that the
layouts do not come from the code under test.

  make_image.py layered OUT [--busybox PATH]   two layers with whiteouts and an opaque directory
  make_image.py hostile KIND OUT MARKER        one layer holding one hostile entry of KIND:
      traversal, absolute, symlink-out, through-symlink, hardlink-out, device, truncated, huge
      (declares 64 GiB), large (4 KiB, for small limits), overlay-xattr
  make_image.py tamper WHAT OUT                the layered image with WHAT changed after digesting:
      layer-blob (a byte of the layer blob), diff-id (the config's diff_ids[1] is wrong),
      size (the manifest's size of layer 0)

The layered image (name "layered:1"), bottom layer first:
  layer 0 (tar+gzip): bin/busybox, bin/sh -> /bin/busybox, etc/motd, etc/hostname.txt "first",
                      etc/conf.d/a, etc/conf.d/b, var/lib/old, home/user/.profile
  layer 1 (tar):      etc/.wh.motd, etc/hostname.txt "second", etc/conf.d/.wh..wh..opq,
                      etc/conf.d/c, var/.wh.lib, new
Its merged view (the spec's rules applied by hand) is printed by `make_image.py expected`.
"""
import gzip, hashlib, io, json, os, sys, tarfile

EXPECTED = {  # path -> contents ("<dir>" for a directory, "-> target" for a symbolic link)
    "bin": "<dir>", "bin/busybox": "<busybox>", "bin/sh": "-> /bin/busybox",
    "etc": "<dir>", "etc/hostname.txt": "second\n", "etc/conf.d": "<dir>", "etc/conf.d/c": "c\n",
    "var": "<dir>", "home": "<dir>", "home/user": "<dir>", "home/user/.profile": "profile\n",
    "new": "new\n",
}

def tar_bytes(entries):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for e in entries:
            info = tarfile.TarInfo(e["name"])
            info.mtime = 1700000000
            info.mode = e.get("mode", 0o644)
            kind = e.get("type", "file")
            if kind == "dir":
                info.type = tarfile.DIRTYPE; info.mode = e.get("mode", 0o755); t.addfile(info)
            elif kind == "symlink":
                info.type = tarfile.SYMTYPE; info.linkname = e["target"]; t.addfile(info)
            elif kind == "hardlink":
                info.type = tarfile.LNKTYPE; info.linkname = e["target"]; t.addfile(info)
            elif kind == "chr":
                info.type = tarfile.CHRTYPE; info.devmajor = e.get("major", 1); info.devminor = e.get("minor", 3); t.addfile(info)
            else:
                data = e.get("data", b"")
                if "pax" in e: info.pax_headers = e["pax"]
                info.size = e.get("size", len(data))
                t.addfile(info, io.BytesIO(data) if data else None)   # a declared size without data: header only
    return buf.getvalue()

def sha(b): return hashlib.sha256(b).hexdigest()

def write_blob(out, data):
    d = sha(data)
    os.makedirs(os.path.join(out, "blobs", "sha256"), exist_ok=True)
    with open(os.path.join(out, "blobs", "sha256", d), "wb") as f: f.write(data)
    return d

def layout(out, name, layers, history=None, tamper=None):
    """layers: list of (tar bytes, compress?)."""
    os.makedirs(out, exist_ok=True)
    descs, diff_ids = [], []
    for i, (tar, compress) in enumerate(layers):
        blob = gzip.compress(tar, mtime=0) if compress else tar
        if tamper == "layer-blob" and i == 0:
            d = write_blob(out, blob)  # digest of the true content, then one byte flipped
            p = os.path.join(out, "blobs", "sha256", d)
            b = bytearray(blob); b[len(b) // 2] ^= 0xFF
            with open(p, "wb") as f: f.write(bytes(b))
        else:
            d = write_blob(out, blob)
        size = len(blob) + (1 if tamper == "size" and i == 0 else 0)
        descs.append({"mediaType": "application/vnd.oci.image.layer.v1.tar" + ("+gzip" if compress else ""),
                      "digest": "sha256:" + d, "size": size})
        diff_ids.append("sha256:" + sha(tar))
    if tamper == "diff-id": diff_ids[-1] = "sha256:" + sha(b"not the layer")
    config = {"created": "2026-12-06T12:00:00Z", "architecture": "amd64", "os": "linux",
              "config": {"Env": ["PATH=/bin", "GREETING=hello"], "Cmd": ["/bin/sh"], "WorkingDir": "/home/user"},
              "rootfs": {"type": "layers", "diff_ids": diff_ids},
              "history": history or [{"created_by": "layer %d" % i} for i in range(len(layers))]}
    cbytes = json.dumps(config, sort_keys=True).encode()
    cd = write_blob(out, cbytes)
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "sha256:" + cd, "size": len(cbytes)},
                "layers": descs}
    mbytes = json.dumps(manifest, sort_keys=True).encode()
    md = write_blob(out, mbytes)
    index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
             "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:" + md,
                            "size": len(mbytes), "annotations": {"org.opencontainers.image.ref.name": name}}]}
    with open(os.path.join(out, "index.json"), "w") as f: json.dump(index, f)
    with open(os.path.join(out, "oci-layout"), "w") as f: json.dump({"imageLayoutVersion": "1.0.0"}, f)
    print("sha256:" + md)

def layered(out, busybox, tamper=None):
    bb = open(busybox, "rb").read() if busybox else b"#!busybox stand-in\n"
    l0 = tar_bytes([
        {"name": "bin", "type": "dir"}, {"name": "bin/busybox", "data": bb, "mode": 0o755},
        {"name": "bin/sh", "type": "symlink", "target": "/bin/busybox"},
        {"name": "etc", "type": "dir"}, {"name": "etc/motd", "data": b"lower\n"},
        {"name": "etc/hostname.txt", "data": b"first\n"},
        {"name": "etc/conf.d", "type": "dir"}, {"name": "etc/conf.d/a", "data": b"a\n"}, {"name": "etc/conf.d/b", "data": b"b\n"},
        {"name": "var", "type": "dir"}, {"name": "var/lib", "type": "dir"}, {"name": "var/lib/old", "data": b"old\n"},
        {"name": "home", "type": "dir"}, {"name": "home/user", "type": "dir"}, {"name": "home/user/.profile", "data": b"profile\n"},
    ])
    l1 = tar_bytes([
        {"name": "etc", "type": "dir"}, {"name": "etc/.wh.motd"}, {"name": "etc/hostname.txt", "data": b"second\n"},
        {"name": "etc/conf.d", "type": "dir"}, {"name": "etc/conf.d/.wh..wh..opq"}, {"name": "etc/conf.d/c", "data": b"c\n"},
        {"name": "var", "type": "dir"}, {"name": "var/.wh.lib"}, {"name": "new", "data": b"new\n"},
    ])
    layout(out, "layered:1", [(l0, True), (l1, False)],
           history=[{"created_by": "ADD rootfs.tar /"}, {"created_by": "ENV GREETING=hello", "empty_layer": True},
                    {"created_by": "RUN rm /etc/motd; echo second > /etc/hostname.txt"}], tamper=tamper)

def hostile(kind, out, marker):
    rel = os.path.relpath(marker, "/")   # marker as seen from / ; the layer climbs there
    up = "../" * 16
    entries = {
        "traversal": [{"name": up + rel, "data": b"escaped\n"}],
        "absolute": [{"name": marker, "data": b"escaped\n"}],
        "symlink-out": [{"name": "link", "type": "symlink", "target": up + os.path.dirname(rel)}],
        "through-symlink": [{"name": "link", "type": "symlink", "target": os.path.dirname(marker)},
                            {"name": "link/" + os.path.basename(marker), "data": b"escaped\n"}],
        "hardlink-out": [{"name": "link", "type": "hardlink", "target": up + "etc/passwd"}],
        "device": [{"name": "dev", "type": "dir"}, {"name": "dev/mem", "type": "chr", "major": 1, "minor": 1}],
        "huge": [{"name": "big", "size": 64 << 30}],            # declares 64 GiB, holds nothing
        "large": [{"name": "big", "data": b"x" * 4096}],          # 4 KiB: over a test's small limits
        "overlay-xattr": [{"name": "dir", "type": "dir"},
                          {"name": "file", "data": b"x", "pax": {"SCHILY.xattr.trusted.overlay.opaque": "y"}}],
    }
    if kind == "truncated":
        tar = tar_bytes([{"name": "ok", "data": b"fine\n"}, {"name": "cut", "data": os.urandom(20000)}])
        tar = tar[:len(tar) // 2]
    else:
        tar = tar_bytes([{"name": "ok", "data": b"fine\n"}] + entries[kind])
    layout(out, "hostile:" + kind, [(tar, False)])

if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "layered":
        bb = sys.argv[4] if len(sys.argv) > 4 and sys.argv[3] == "--busybox" else None
        layered(sys.argv[2], bb)
    elif cmd == "tamper": layered(sys.argv[3], None, tamper=sys.argv[2])
    elif cmd == "hostile": hostile(sys.argv[2], sys.argv[3], sys.argv[4])
    elif cmd == "expected": print(json.dumps(EXPECTED, sort_keys=True))
    else: sys.exit("unknown command " + cmd)
