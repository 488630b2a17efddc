#!/usr/bin/env python3
"""Checks deploy/ against the code, as far as a machine without Docker or a
Kubernetes cluster allows.

  check_deploy.py yaml    --source-dir DIR --ingest-bin B --query-bin B --cli-bin B
  check_deploy.py systemd --source-dir DIR --ingest-bin B --query-bin B

`yaml`: every YAML file parses; the Kubernetes manifests and the compose file
agree with the code (ports are the binaries' --help defaults, environment
variable names are the ones services/ and tools/cli/ read, flags exist in
--help, gRPC health service names are the ones the servers register);
selectors match labels, Services target existing container ports, references
(ConfigMaps, Secrets, volumes, the StatefulSet's serviceName, the HPA's
target) resolve; the Dockerfiles' structure (Debian 12, non-root USER,
HEALTHCHECK, EXPOSE = default ports, VOLUME = data dir) and their runtime
package list covers the shared libraries the built binaries link. Each
kustomization (deploy/k8s, deploy/k8s/cluster) is checked on its own; in the
cluster one, nats.conf agrees with the NATS StatefulSet (ports, routes to
every replica, JetStream on the volume, max_payload >= 8 MiB; `nats-server
-t` when installed) and DETENTE_NATS names its servers. deploy/**/*.sh pass
`bash -n` and shellcheck (when installed), and the flags they give the
binaries exist in --help.

`systemd`: `systemd-analyze verify` of deploy/systemd/*.service in a scratch
root holding the built binaries at their ExecStart paths; any diagnostic
fails. Exit 77 (skipped) when systemd-analyze is missing.

Exit 0 when everything holds, 1 with one line per problem otherwise.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

SKIP = 77
problems = []


def problem(msg):
    problems.append(msg)


def check(cond, msg):
    if not cond:
        problem(msg)
    return cond


# ---------------------------------------------------------------- the code

class Binary:
    """What a binary's --help says: flags, their defaults, env var names."""

    def __init__(self, path):
        self.path = path
        self.name = os.path.basename(path)
        out = subprocess.run([path, "--help"], capture_output=True, text=True,
                             timeout=30)
        self.help = out.stdout + out.stderr
        self.flags = set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)", self.help))
        # "--listen TEXT=127.0.0.1:7601"
        self.defaults = dict(re.findall(r"(--[a-z][a-z0-9-]*) \S+?=(\S+)", self.help))
        self.env = set(re.findall(r"\b(DETENTE_[A-Z0-9_]+)\b", self.help))

    def port(self, flag):
        value = self.defaults.get(flag)
        if value is None:
            problem(f"{self.name} --help shows no default for {flag}")
            return None
        return int(value.rsplit(":", 1)[1])


def code_env_names(src):
    """DETENTE_* names that services/ and tools/cli/ read."""
    names = set()
    for sub in ("services", os.path.join("tools", "cli")):
        for root, _, files in os.walk(os.path.join(src, sub)):
            for f in files:
                if f.endswith((".cc", ".h")) and not f.endswith("_test.cc"):
                    with open(os.path.join(root, f), encoding="utf-8") as fh:
                        names |= set(re.findall(r'"(DETENTE_[A-Z0-9_]+)"', fh.read()))
    return names


def health_service_names(src):
    names = {}
    for svc in ("ingest", "query"):
        with open(os.path.join(src, "services", svc, "server.cc"), encoding="utf-8") as fh:
            # The name the server publishes its health under
            # (services/common/health_publisher.h).
            found = re.findall(r'HealthPublisher\s+\w+\(\s*\*?\w+,\s*"([\w.]+)"',
                               fh.read())
        check(len(found) >= 1, f"services/{svc}/server.cc registers no health service name")
        names[svc] = found[0] if found else None
    return names


def port_of(address):
    return int(str(address).rsplit(":", 1)[1])


def host_of(address):
    return str(address).rsplit(":", 1)[0]


# -------------------------------------------------------------------- YAML

def load_all_yaml(src):
    import yaml
    docs = {}
    for root, _, files in os.walk(os.path.join(src, "deploy")):
        for f in sorted(files):
            if f.endswith((".yaml", ".yml")):
                path = os.path.join(root, f)
                rel = os.path.relpath(path, src)
                try:
                    with open(path, encoding="utf-8") as fh:
                        docs[rel] = [d for d in yaml.safe_load_all(fh) if d is not None]
                except yaml.YAMLError as e:
                    problem(f"{rel}: does not parse: {e}")
    check(docs, "deploy/ holds no YAML file")
    return docs


def check_flags_exist(where, words, binary):
    for w in words:
        flag = str(w).split("=", 1)[0]
        if flag.startswith("--"):
            check(flag in binary.flags,
                  f"{where}: {flag} is not a flag of {binary.name} (see --help)")


def check_env(where, names, known):
    for n in names:
        check(n in known, f"{where}: environment variable {n} is read by no code "
                          f"in services/ or tools/cli/")


# Each kustomization under deploy/k8s and the workloads it must hold, with
# their role: "ingest" the single-node log (a StatefulSet of one on a
# volume), "ingest-cluster" ingest nodes in cluster mode (docs/cluster.md),
# "nats" the NATS JetStream servers they use, "query" detente-query.
KUSTOMIZATIONS = {
    os.path.join("deploy", "k8s"): {
        ("StatefulSet", "detente-ingest"): "ingest",
        ("Deployment", "detente-query"): "query",
    },
    os.path.join("deploy", "k8s", "cluster"): {
        ("StatefulSet", "detente-nats"): "nats",
        ("Deployment", "detente-ingest"): "ingest-cluster",
        ("Deployment", "detente-query"): "query",
    },
}
# One NATS message carries one committed batch (docs/cluster.md).
NATS_MIN_PAYLOAD = 8 * 1024 * 1024


def check_k8s_dirs(docs):
    """Every folder of YAML under deploy/k8s is a kustomization we check."""
    kroot = os.path.join("deploy", "k8s")
    dirs = {os.path.dirname(r) for r in docs if r == kroot or r.startswith(kroot + os.sep)}
    for d in sorted(dirs - set(KUSTOMIZATIONS)):
        problem(f"{d}: YAML that tests/deploy/check_deploy.py does not check (add it to KUSTOMIZATIONS)")
    for d in KUSTOMIZATIONS:
        check(os.path.join(d, "kustomization.yaml") in docs, f"{d}/kustomization.yaml is missing")


def nats_size(text):
    """A NATS configuration size ("8MB", "8M", "8388608") in bytes."""
    m = re.fullmatch(r"(\d+)\s*([a-zA-Z]*)", text.strip().strip('"'))
    if not m:
        return None
    units = {"": 1, "k": 1000, "kb": 1024, "ki": 1024, "kib": 1024,
             "m": 1000 ** 2, "mb": 1024 ** 2, "mi": 1024 ** 2, "mib": 1024 ** 2,
             "g": 1000 ** 3, "gb": 1024 ** 3, "gi": 1024 ** 3, "gib": 1024 ** 3}
    unit = units.get(m.group(2).lower())
    return int(m.group(1)) * unit if unit else None


def nats_block(text, name):
    """The text inside `name { ... }` (top level) and the text outside it."""
    m = re.search(r"^\s*%s\s*[:=]?\s*\{" % re.escape(name), text, re.M)
    if not m:
        return None, text
    depth, i = 1, m.end()
    while i < len(text) and depth:
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        i += 1
    return text[m.end():i - 1], text[:m.start()] + text[i:]


def nats_value(text, key):
    m = re.search(r"^\s*%s\s*[:=]\s*(\S+)" % re.escape(key), text, re.M)
    return m.group(1).strip('"') if m else None


def check_nats(where, sts, pod, c, pp, configmaps, services, claims, mounts):
    """The NATS StatefulSet and its nats.conf agree: ports, server names,
    routes to every replica through the headless Service, JetStream on the
    volume, max_payload; `nats-server -t` accepts the file when installed."""
    spec = sts["spec"]
    name, replicas = sts["metadata"]["name"], spec.get("replicas") or 1
    check(replicas >= 3 and replicas % 2 == 1, f"{where}: replicas {replicas}, want an odd number >= 3 (a quorum survives one loss)")
    check(spec.get("podManagementPolicy") == "Parallel",
          f"{where}: podManagementPolicy is not Parallel (no server is healthy before a quorum runs)")
    headless = services.get(spec.get("serviceName"), {})
    check(headless.get("spec", {}).get("publishNotReadyAddresses") is True,
          f"{where}: the headless Service {spec.get('serviceName')} does not publish not-ready addresses (routes need them)")
    args = list(c.get("command", [])) + list(c.get("args", []))
    conf_path = next((args[i + 1] for i, a in enumerate(args[:-1]) if a in ("--config", "-c")), None)
    if not check(conf_path, f"{where}: nats-server runs without --config"):
        return
    text = None
    for vol in pod.get("volumes", []):
        cm = vol.get("configMap", {}).get("name")
        for m in c.get("volumeMounts", []):
            if m["name"] == vol["name"] and cm in configmaps and os.path.dirname(conf_path) == m["mountPath"].rstrip("/"):
                text = configmaps[cm].get("data", {}).get(os.path.basename(conf_path))
    if not check(text, f"{where}: --config {conf_path} is no key of a mounted ConfigMap"):
        return
    cluster, top = nats_block(text, "cluster")
    js, top = nats_block(top, "jetstream")
    for key, pname in (("listen", "client"), ("http", "monitor")):
        v = nats_value(top, key)
        check(v and pp.get(pname) == port_of(v), f"{where}: nats.conf {key} {v}, container port {pname} is {pp.get(pname)}")
    sn = nats_value(top, "server_name") or ""
    envs = {e["name"]: e for e in c.get("env", [])}
    check(sn.startswith("$") and envs.get(sn[1:], {}).get("valueFrom", {}).get("fieldRef", {}).get("fieldPath") == "metadata.name",
          f"{where}: server_name {sn!r} is not an env var holding the pod name (each server needs its own)")
    mp = nats_size(nats_value(top, "max_payload") or "0") or 0
    check(mp >= NATS_MIN_PAYLOAD, f"{where}: max_payload is {mp} bytes, cluster mode needs {NATS_MIN_PAYLOAD} (one message per committed batch)")
    if check(js is not None, f"{where}: nats.conf has no jetstream block"):
        sd = nats_value(js, "store_dir") or ""
        check(any((sd + "/").startswith(mp_.rstrip("/") + "/") and v in claims for mp_, v in mounts.items()),
              f"{where}: JetStream store_dir {sd!r} is not on a volumeClaimTemplate")
    if check(cluster is not None, f"{where}: nats.conf has no cluster block"):
        lv = nats_value(cluster, "listen")
        check(lv and pp.get("cluster") == port_of(lv), f"{where}: cluster listen {lv}, container port cluster is {pp.get('cluster')}")
        routes = re.findall(r"nats(?:-route)?://([\w.-]+):(\d+)", cluster)
        want = {f"{name}-{i}.{spec.get('serviceName')}" for i in range(replicas)}
        hosts = {h.split(".svc")[0] for h, _ in routes}
        hosts = {".".join(h.split(".")[:2]) for h in hosts}
        check(hosts == want, f"{where}: routes go to {sorted(hosts)}, want every replica {sorted(want)}")
        check(all(int(p) == pp.get("cluster") for _, p in routes), f"{where}: a route's port is not the cluster port")
    for pr in ("readinessProbe", "livenessProbe", "startupProbe"):
        hg = (c.get(pr) or {}).get("httpGet")
        if hg:
            port = hg["port"]
            check((pp.get(port) if isinstance(port, str) else port) == pp.get("monitor"),
                  f"{where}: {pr} is not on the monitoring port")
    exe = shutil.which("nats-server")
    if exe:
        with tempfile.TemporaryDirectory(prefix="detente-nats-") as tmp:
            path = os.path.join(tmp, "nats.conf")
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(text)
            env = dict(os.environ)
            for n, e in envs.items():
                env[n] = e.get("value") or f"{name}-0"
            out = subprocess.run([exe, "-c", path, "-t"], capture_output=True, text=True, env=env, timeout=30)
            check(out.returncode == 0, f"{where}: nats-server -t rejects nats.conf: {(out.stdout + out.stderr).strip()}")
    else:
        print("note: nats-server not found, nats.conf not validated by it")


def check_nats_urls(where, env, services, workloads, nats_key, nats_pp):
    """DETENTE_NATS names NATS servers of this kustomization on their client port."""
    urls = [u.strip() for u in str(env.get("DETENTE_NATS", "")).split(",") if u.strip()]
    if not check(urls, f"{where}: DETENTE_NATS is not set"):
        return
    sts = workloads.get(nats_key)
    if not check(sts, f"{where}: no NATS StatefulSet to connect to"):
        return
    name, replicas = nats_key[1], sts["spec"].get("replicas") or 1
    headless = sts["spec"].get("serviceName")
    for u in urls:
        m = re.fullmatch(r"nats://([\w.-]+):(\d+)", u)
        if not check(m, f"{where}: DETENTE_NATS entry {u!r} is not nats://HOST:PORT"):
            continue
        host, port = m.group(1), int(m.group(2))
        parts = host.split(".")
        pod_ok = (len(parts) >= 2 and parts[1] == headless and
                  parts[0] in {f"{name}-{i}" for i in range(replicas)})
        svc = services.get(parts[0])
        svc_ok = svc is not None and svc["spec"].get("selector", {}).items() <= \
            sts["spec"]["template"]["metadata"].get("labels", {}).items()
        check(pod_ok or svc_ok, f"{where}: DETENTE_NATS host {host} is neither a NATS pod of {headless} nor a Service of {name}")
        check(port == nats_pp.get("client"), f"{where}: DETENTE_NATS port {port} is not the NATS client port {nats_pp.get('client')}")
    reps = env.get("DETENTE_NATS_REPLICAS")
    if reps is not None:
        check(str(reps).isdigit() and 1 <= int(reps) <= replicas,
              f"{where}: DETENTE_NATS_REPLICAS={reps}, but there are {replicas} NATS servers")


def check_k8s(docs, bins, env_known, health, kdir, expected):
    """One kustomization: the files directly in kdir."""
    here = {rel: ds for rel, ds in docs.items() if os.path.dirname(rel) == kdir}
    kfile = os.path.join(kdir, "kustomization.yaml")
    objs = []  # (file, obj)
    for rel, ds in here.items():
        if rel != kfile:
            for d in ds:
                if check(isinstance(d, dict) and "kind" in d and "apiVersion" in d
                         and d.get("metadata", {}).get("name"),
                         f"{rel}: a document without kind/apiVersion/metadata.name"):
                    objs.append((rel, d))

    kust = here.get(kfile, [{}])[0]
    listed = set(kust.get("resources", []))
    files = {os.path.basename(r) for r in here} - {"kustomization.yaml"}
    check(listed == files, f"{kfile} resources {sorted(listed)} != files {sorted(files)}")
    ns = kust.get("namespace")
    namespaces = [o["metadata"]["name"] for _, o in objs if o["kind"] == "Namespace"]
    check(ns in namespaces, f"{kfile}: namespace {ns!r} is not a Namespace of the manifests")
    for rel, o in objs:
        if o["kind"] != "Namespace" and "namespace" in o["metadata"]:
            check(o["metadata"]["namespace"] == ns, f"{rel}: {o['metadata']['name']} in another namespace")

    by_kind = {}
    for rel, o in objs:
        key = (o["kind"], o["metadata"]["name"])
        check(key not in by_kind, f"{rel}: {key} defined twice")
        by_kind[key] = (rel, o)

    def named(kind):
        return {n: o for (k, n), (_, o) in by_kind.items() if k == kind}

    configmaps, secrets, services = named("ConfigMap"), named("Secret"), named("Service")
    workloads = {**{("StatefulSet", n): o for n, o in named("StatefulSet").items()},
                 **{("Deployment", n): o for n, o in named("Deployment").items()}}
    for key in expected:
        check(key in workloads, f"{kdir}: no {key[0]} {key[1]}")
    for key in workloads:
        check(key in expected, f"{kdir}: {key[0]} {key[1]} is not a workload check_deploy.py knows (KUSTOMIZATIONS)")
    roles = {key: expected.get(key) for key in workloads}
    ingest_key = next((k for k, r in roles.items() if r and r.startswith("ingest")), None)
    nats_key = next((k for k, r in roles.items() if r == "nats"), None)
    detente = {  # role -> (binary, health name, {port name: port})
        "ingest": (bins["ingest"], health["ingest"], {"grpc": bins["ingest"].port("--listen")}),
        "query": (bins["query"], health["query"],
                  {"grpc": bins["query"].port("--listen"), "http": bins["query"].port("--http-listen")}),
    }
    detente["ingest-cluster"] = detente["ingest"]

    def container_ports(w):
        return {p.get("name"): p["containerPort"]
                for c in w["spec"]["template"]["spec"]["containers"] for p in c.get("ports", [])}

    pod_ports = {}  # workload -> (labels, {name: port})
    # NATS first: the ingest nodes' DETENTE_NATS is checked against it.
    for key in sorted(workloads, key=lambda k: roles[k] != "nats"):
        kind, name = key
        w, role = workloads[key], roles[key]
        where = f"{kdir}: {kind} {name}"
        spec = w["spec"]
        tmpl = spec["template"]
        labels = tmpl["metadata"].get("labels", {})
        sel = spec.get("selector", {}).get("matchLabels", {})
        check(sel and all(labels.get(k) == v for k, v in sel.items()),
              f"{where}: selector {sel} does not match the pod labels {labels}")
        pod = tmpl["spec"]
        psc = pod.get("securityContext", {})
        check(psc.get("runAsNonRoot") is True, f"{where}: runAsNonRoot is not true")
        check(isinstance(psc.get("runAsUser"), int) and psc["runAsUser"] != 0,
              f"{where}: runAsUser is not a non-zero uid")
        volumes = {v["name"]: v for v in pod.get("volumes", [])}
        claims = {c["metadata"]["name"] for c in spec.get("volumeClaimTemplates", [])}
        binary, hname, ports = detente.get(role, (None, None, {}))
        if kind == "StatefulSet":
            if role == "ingest":
                check(spec.get("replicas") == 1, f"{where}: replicas must be 1 (one process per log)")
            check(claims, f"{where}: no volumeClaimTemplates")
            sname = spec.get("serviceName")
            check(sname in services and services[sname]["spec"].get("clusterIP") == "None",
                  f"{where}: serviceName {sname!r} is not a headless Service")
        else:
            check((spec.get("replicas") or 0) >= 2, f"{where}: replicas < 2")
        pp = {}
        for c in pod["containers"]:
            cw = f"{where} container {c['name']}"
            csc = c.get("securityContext", {})
            check(csc.get("readOnlyRootFilesystem") is True, f"{cw}: readOnlyRootFilesystem is not true")
            check(csc.get("allowPrivilegeEscalation") is False, f"{cw}: allowPrivilegeEscalation is not false")
            check("resources" in c and c["resources"].get("requests"), f"{cw}: no resource requests")
            for p in c.get("ports", []):
                pp[p.get("name")] = p["containerPort"]
            for pname, port in ports.items():
                check(pp.get(pname) == port,
                      f"{cw}: port {pname} is {pp.get(pname)}, the code's default is {port}")
            env = {}
            for ef in c.get("envFrom", []):
                if "configMapRef" in ef:
                    cm = ef["configMapRef"]["name"]
                    if check(cm in configmaps, f"{cw}: ConfigMap {cm} does not exist"):
                        env.update(configmaps[cm].get("data", {}))
                if "secretRef" in ef:
                    check(ef["secretRef"]["name"] in secrets, f"{cw}: Secret {ef['secretRef']['name']} does not exist")
            for e in c.get("env", []):
                env[e["name"]] = e.get("value")
            check_env(cw, [n for n in env if binary or n.startswith("DETENTE_")], env_known)
            if binary:
                check_flags_exist(cw, list(c.get("args", [])) + list(c.get("command", [])), binary)
            for flag, var in (("--listen", "LISTEN"), ("--http-listen", "HTTP_LISTEN")):
                svc = name.split("-", 1)[1].upper()
                for k in [k for k in env if k == f"DETENTE_{svc}_{var}"]:
                    check(host_of(env[k]) in ("0.0.0.0", "[::]"), f"{cw}: {k}={env[k]} does not listen on all interfaces")
                    pname = "grpc" if var == "LISTEN" else "http"
                    check(port_of(env[k]) == pp.get(pname), f"{cw}: {k}={env[k]} but the {pname} port is {pp.get(pname)}")
            mounts = {m["mountPath"]: m["name"] for m in c.get("volumeMounts", [])}
            for m, vname in mounts.items():
                check(vname in volumes or vname in claims, f"{cw}: volumeMount {vname} has no volume")
            for k, v in env.items():
                if k.endswith("_DATA_DIR"):
                    check(v in mounts, f"{cw}: {k}={v} is not a mounted volume")
            for v in volumes.values():
                if "secret" in v:
                    check(v["secret"]["secretName"] in secrets, f"{where}: Secret {v['secret']['secretName']} does not exist")
                if "configMap" in v:
                    check(v["configMap"]["name"] in configmaps, f"{where}: ConfigMap {v['configMap']['name']} does not exist")
            if "DETENTE_INGEST" in env:
                host, port = host_of(env["DETENTE_INGEST"]), port_of(env["DETENTE_INGEST"])
                svc = services.get(host.split(".")[0])
                if check(svc is not None, f"{cw}: DETENTE_INGEST={env['DETENTE_INGEST']} names no Service"):
                    check(port in [p["port"] for p in svc["spec"]["ports"]],
                          f"{cw}: DETENTE_INGEST port {port} is not a port of Service {host}")
                    ilabels = workloads.get(ingest_key, {}).get("spec", {}).get("template", {}).get(
                        "metadata", {}).get("labels", {})
                    check(ingest_key and svc["spec"]["selector"].items() <= ilabels.items(),
                          f"{cw}: DETENTE_INGEST Service {host} does not select the ingest workload")
            if role == "ingest-cluster":
                check(env.get("DETENTE_LOG") == "jetstream", f"{cw}: DETENTE_LOG is {env.get('DETENTE_LOG')!r}, not jetstream")
                check_nats_urls(cw, env, services, workloads, nats_key,
                                container_ports(workloads[nats_key]) if nats_key else {})
                dd = env.get("DETENTE_INGEST_DATA_DIR")
                check(dd in mounts and "emptyDir" in volumes.get(mounts[dd], {}),
                      f"{cw}: the local copy {dd} is not an emptyDir (it is scratch, refilled from the stream)")
            if role == "nats":
                check_nats(cw, w, pod, c, container_ports(w), configmaps, services, claims, mounts)
            probes = [c.get(p) for p in ("readinessProbe", "livenessProbe", "startupProbe")]
            if binary:
                check(c.get("readinessProbe", {}).get("grpc"), f"{cw}: readiness is not a gRPC probe")
            else:
                check(c.get("readinessProbe"), f"{cw}: no readiness probe")
            for pr in probes:
                if pr and "grpc" in pr:
                    check(pr["grpc"]["port"] == pp.get("grpc"), f"{cw}: gRPC probe on port {pr['grpc']['port']}, not the grpc port")
                    check(pr["grpc"].get("service") in ("", None, hname),
                          f"{cw}: gRPC probe service {pr['grpc'].get('service')!r}; the server registers {hname!r}")
        pod_ports[name] = (labels, pp)

    for sname, svc in services.items():
        sel = svc["spec"].get("selector", {})
        targets = [(n, pp) for n, (labels, pp) in pod_ports.items()
                   if sel and all(labels.get(k) == v for k, v in sel.items())]
        if not check(targets, f"{kdir}: Service {sname}: selector {sel} matches no workload"):
            continue
        for p in svc["spec"]["ports"]:
            tp = p.get("targetPort", p["port"])
            for wname, pp in targets:
                ok = tp in pp if isinstance(tp, str) else tp in pp.values()
                check(ok, f"{kdir}: Service {sname}: targetPort {tp} is not a port of {wname}")
                if isinstance(tp, str) and tp in pp:
                    check(p["port"] == pp[tp], f"{kdir}: Service {sname}: port {p['port']} != container port {pp[tp]} ({tp})")

    for kind in ("HorizontalPodAutoscaler", "PodDisruptionBudget"):
        for n, o in named(kind).items():
            if kind == "HorizontalPodAutoscaler":
                ref = o["spec"]["scaleTargetRef"]
                check((ref["kind"], ref["name"]) in workloads, f"{kdir}: {kind} {n}: target {ref} does not exist")
            else:
                sel = o["spec"]["selector"]["matchLabels"]
                check(any(all(l.get(k) == v for k, v in sel.items()) for l, _ in pod_ports.values()),
                      f"{kdir}: {kind} {n}: selector matches no workload")


def check_kustomize_render(src, docs, kdir):
    """`kubectl kustomize` (offline; no cluster needed) when kubectl is there:
    the kustomization renders every object into its namespace."""
    import yaml
    kubectl = shutil.which("kubectl")
    if not kubectl:
        print(f"note: kubectl not found, {kdir} not rendered")
        return
    out = subprocess.run([kubectl, "kustomize", os.path.join(src, kdir)],
                         capture_output=True, text=True, timeout=60)
    if not check(out.returncode == 0, f"kubectl kustomize {kdir}: {out.stderr.strip()}"):
        return
    rendered = [d for d in yaml.safe_load_all(out.stdout) if d]
    kfile = os.path.join(kdir, "kustomization.yaml")
    want = sum(1 for r, ds in docs.items()
               if os.path.dirname(r) == kdir and r != kfile for _ in ds)
    check(len(rendered) == want, f"kubectl kustomize {kdir} rendered {len(rendered)} objects, the files hold {want}")
    ns = docs[kfile][0].get("namespace")
    for d in rendered:
        if d["kind"] != "Namespace":
            check(d["metadata"].get("namespace") == ns,
                  f"kubectl kustomize {kdir}: {d['kind']} {d['metadata']['name']} not in namespace {ns}")
    print(f"kubectl kustomize {kdir}: {len(rendered)} objects rendered")


def check_compose(docs, bins, env_known):
    rel = os.path.join("deploy", "docker", "compose.yaml")
    if not check(rel in docs, f"{rel} is missing"):
        return
    c = docs[rel][0]
    svcs = c.get("services", {})
    top_volumes = set((c.get("volumes") or {}).keys())
    want = {"ingest": (bins["ingest"], {"LISTEN": bins["ingest"].port("--listen")}),
            "query": (bins["query"], {"LISTEN": bins["query"].port("--listen"),
                                      "HTTP_LISTEN": bins["query"].port("--http-listen")})}
    for name, (binary, ports) in want.items():
        s = svcs.get(name)
        if not check(s, f"compose: no service {name!r}"):
            continue
        where = f"compose service {name}"
        env = s.get("environment", {})
        if isinstance(env, list):
            env = dict(e.split("=", 1) for e in env)
        check_env(where, env, env_known)
        check_flags_exist(where, s.get("command", []) if isinstance(s.get("command"), list) else [], binary)
        published = set()
        for p in s.get("ports", []):
            published.add(int(str(p).rsplit(":", 1)[1].split("/")[0]))
        for var, port in ports.items():
            k = f"DETENTE_{name.upper()}_{var}"
            if check(k in env, f"{where}: {k} is not set"):
                check(host_of(env[k]) in ("0.0.0.0", "[::]"), f"{where}: {k}={env[k]} does not listen on all interfaces")
                check(port_of(env[k]) == port, f"{where}: {k}={env[k]}, the code's default port is {port}")
            check(port in published, f"{where}: port {port} is not published")
        mounts = {}
        for v in s.get("volumes", []):
            vol, path = str(v).split(":")[:2]
            mounts[path] = vol
            if not vol.startswith((".", "/")):
                check(vol in top_volumes, f"{where}: volume {vol} is not a named volume")
        dd = env.get(f"DETENTE_{name.upper()}_DATA_DIR")
        check(dd in mounts and not mounts[dd].startswith((".", "/")),
              f"{where}: the data dir {dd} is not a named volume")
        check("healthcheck" in s, f"{where}: no healthcheck")
        df = s.get("build", {}).get("dockerfile", "")
        check(df.endswith(f"Dockerfile.{name}"), f"{where}: builds {df!r}")
    q = svcs.get("query", {})
    dep = q.get("depends_on", {})
    check("ingest" in dep, "compose: query does not depend on ingest")
    ing = q.get("environment", {}).get("DETENTE_INGEST", "")
    check(ing == f"ingest:{bins['ingest'].port('--listen')}",
          f"compose: query's DETENTE_INGEST is {ing!r}, want ingest:<ingest port>")


# ------------------------------------------------------------------ scripts

def check_scripts(src, bins):
    """deploy/**/*.sh: `bash -n`, shellcheck (warnings and errors) when
    installed, and the flags they give the binaries ("$INGEST_BIN" ...,
    "$QUERY_BIN" ..., continuation lines included) exist in --help."""
    scripts = sorted(os.path.join(root, f) for root, _, files in os.walk(os.path.join(src, "deploy"))
                     for f in files if f.endswith(".sh"))
    shellcheck = shutil.which("shellcheck")
    if not shellcheck:
        print("note: shellcheck not found, deploy/**/*.sh only parsed by bash -n")
    for path in scripts:
        rel = os.path.relpath(path, src)
        out = subprocess.run(["bash", "-n", path], capture_output=True, text=True)
        check(out.returncode == 0, f"{rel}: bash -n: {out.stderr.strip()}")
        check(os.access(path, os.X_OK), f"{rel}: not executable")
        if shellcheck:
            out = subprocess.run([shellcheck, "-S", "warning", path], capture_output=True, text=True)
            check(out.returncode == 0, f"{rel}: shellcheck:\n{out.stdout.strip()}")
        text = open(path, encoding="utf-8").read()
        for var, binary in (("INGEST_BIN", bins["ingest"]), ("QUERY_BIN", bins["query"])):
            for m in re.finditer(r'"\$%s"((?:[^\n]*\\\n)*[^\n]*)' % var, text):
                words = re.split(r"\s(?:\||&&|\|\||;)\s", m.group(1))[0]  # this command only
                check_flags_exist(rel, re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", words), binary)
    return len(scripts)


# -------------------------------------------------------------- Dockerfiles

def parse_dockerfile(path):
    """Stages as lists of (INSTRUCTION, args); continuation lines joined."""
    lines, cur = [], ""
    with open(path, encoding="utf-8") as fh:
        for raw in fh:
            s = raw.rstrip("\n")
            if not cur and (not s.strip() or s.lstrip().startswith("#")):
                continue
            if s.lstrip().startswith("#"):
                continue
            if s.endswith("\\"):
                cur += s[:-1] + " "
                continue
            lines.append(cur + s)
            cur = ""
    stages = []
    for ln in lines:
        instr, _, args = ln.strip().partition(" ")
        instr = instr.upper()
        if instr == "FROM":
            stages.append([])
        check(stages, f"{path}: {instr} before FROM")
        stages[-1].append((instr, args.strip()))
    return stages


def lib_packages(binaries):
    """Debian packages of the shared libraries the binaries link (one
    `dpkg -S` call for all of them)."""
    libs = set()
    for b in binaries:
        out = subprocess.run(["ldd", b], capture_output=True, text=True).stdout
        libs |= set(re.findall(r"=> (/\S+)", out))
    cands = {lib: [lib, os.path.realpath(lib), lib.replace("/lib/", "/usr/lib/", 1),
                   os.path.realpath(lib).replace("/lib/", "/usr/lib/", 1)] for lib in libs}
    queries = sorted({c for cs in cands.values() for c in cs})
    out = subprocess.run(["dpkg", "-S", *queries], capture_output=True, text=True).stdout
    owner = {}
    for line in out.splitlines():
        pkgs, _, path = line.partition(": ")
        owner[path.strip()] = pkgs.split(",")[0].split(":")[0].strip()
    pkgs = {}
    for lib in sorted(libs):
        found = [owner[c] for c in cands[lib] if c in owner]
        if check(found, f"dpkg -S finds no package for {lib}"):
            pkgs[lib] = found[0]
    return pkgs


# Present in debian:12-slim (Essential/Required) or sanitizer-only builds.
BASE_PACKAGES = {"libc6", "libgcc-s1", "libstdc++6", "zlib1g", "libzstd1", "liblz4-1"}
SANITIZER = re.compile(r"^lib(asan|ubsan|tsan|lsan)\d*$")


def check_dockerfiles(src, bins, env_known, cli_bin):
    ddir = os.path.join(src, "deploy", "docker")
    want = {"ingest": (bins["ingest"], {bins["ingest"].port("--listen")}),
            "query": (bins["query"], {bins["query"].port("--listen"), bins["query"].port("--http-listen")})}
    have_dpkg = shutil.which("dpkg") and shutil.which("ldd")
    for name, (binary, ports) in want.items():
        rel = f"deploy/docker/Dockerfile.{name}"
        path = os.path.join(ddir, f"Dockerfile.{name}")
        if not check(os.path.exists(path), f"{rel} is missing"):
            continue
        stages = parse_dockerfile(path)
        if not check(len(stages) >= 2, f"{rel}: not multi-stage"):
            continue
        for st in stages:
            base = st[0][1].split()[0]
            check(re.match(r"^debian:(12|bookworm)([-.][\w.-]*)?$", base), f"{rel}: FROM {base} is not Debian 12")
        final = stages[-1]
        instrs = [i for i, _ in final]
        users = [a for i, a in final if i == "USER"]
        check(users and users[-1].split(":")[0] not in ("root", "0"), f"{rel}: the final stage does not run as non-root USER")
        check(users and users[-1].split(":")[0].isdigit(), f"{rel}: USER is not numeric (runAsNonRoot cannot verify a name)")
        check("HEALTHCHECK" in instrs, f"{rel}: no HEALTHCHECK")
        exposed = set()
        for i, a in final:
            if i == "EXPOSE":
                exposed |= {int(p.split("/")[0]) for p in a.split()}
        check(exposed == ports, f"{rel}: EXPOSE {sorted(exposed)}, the code's default ports are {sorted(ports)}")
        env = {}
        for i, a in final:
            if i == "ENV":
                env.update(dict(re.findall(r"(\w+)=(\S+)", a)))
        check_env(rel, env, env_known)
        vols = " ".join(a for i, a in final if i == "VOLUME")
        dd = env.get(f"DETENTE_{name.upper()}_DATA_DIR")
        check(dd and dd in vols, f"{rel}: the data dir {dd} is not a VOLUME")
        for var, flag in (("LISTEN", "--listen"), ("HTTP_LISTEN", "--http-listen")):
            k = f"DETENTE_{name.upper()}_{var}"
            if k in env:
                check(host_of(env[k]) == "0.0.0.0" and port_of(env[k]) == binary.port(flag),
                      f"{rel}: {k}={env[k]}, want 0.0.0.0:<default port>")
        ep = " ".join(a for i, a in final if i in ("ENTRYPOINT", "CMD"))
        check(binary.name in ep, f"{rel}: ENTRYPOINT/CMD does not run {binary.name}")
        check_flags_exist(rel, re.findall(r"--[a-z][\w-]*", " ".join(a for i, a in final if i in ("ENTRYPOINT", "CMD"))), binary)
        hc = " ".join(a for i, a in final if i == "HEALTHCHECK")
        copied = " ".join(a for i, a in final if i == "COPY")
        if "detente " in hc:
            check("tools/cli/detente" in copied, f"{rel}: HEALTHCHECK uses `detente`, which is not copied in")
        if have_dpkg:
            runs = " ".join(a for i, a in final if i == "RUN")
            installed = set(re.findall(r"[a-z0-9][a-z0-9.+-]+", runs.split("install", 1)[-1])) if "install" in runs else set()
            for lib, pkg in lib_packages([binary.path, cli_bin]).items():
                if pkg in BASE_PACKAGES or SANITIZER.match(pkg.split(":")[0]):
                    continue
                check(pkg in installed, f"{rel}: the runtime stage does not install {pkg} ({lib})")


def check_systemd_static(src, bins, env_known):
    for name, binary in bins.items():
        rel = f"deploy/systemd/detente-{name}.service"
        path = os.path.join(src, rel)
        if not check(os.path.exists(path), f"{rel} is missing"):
            continue
        text = open(path, encoding="utf-8").read()
        kv = re.findall(r"^(\w+)=(.*)$", text, re.M)
        keys = {k for k, _ in kv}
        for k in ("User", "StateDirectory", "NoNewPrivileges", "ProtectSystem", "ProtectHome",
                  "PrivateTmp", "PrivateDevices", "RestrictAddressFamilies", "CapabilityBoundingSet",
                  "SystemCallFilter", "MemoryDenyWriteExecute", "LockPersonality", "RestrictNamespaces",
                  "Restart", "KillSignal", "TimeoutStopSec", "EnvironmentFile"):
            check(k in keys, f"{rel}: no {k}=")
        execs = [v for k, v in kv if k == "ExecStart"]
        check(execs and execs[0].split()[0] == f"/usr/local/bin/{binary.name}", f"{rel}: ExecStart is not /usr/local/bin/{binary.name}")
        check_flags_exist(rel, execs[0].split()[1:] if execs else [], binary)
        env = dict(v.split("=", 1) for k, v in kv if k == "Environment")
        check_env(rel, [n for n in env if n.startswith("DETENTE_")], env_known)
        state = [v for k, v in kv if k == "StateDirectory"]
        dd = env.get(f"DETENTE_{name.upper()}_DATA_DIR")
        check(state and dd == "/var/lib/" + state[0], f"{rel}: DETENTE_{name.upper()}_DATA_DIR={dd} is not the StateDirectory")


# ---------------------------------------------------------------- systemd

def systemd_verify(src, bins):
    exe = shutil.which("systemd-analyze")
    if not exe:
        print("SKIP: systemd-analyze is not installed (Debian package systemd)")
        return SKIP
    units = [os.path.join(src, "deploy", "systemd", f"detente-{n}.service") for n in bins]
    with tempfile.TemporaryDirectory(prefix="detente-systemd-") as root:
        os.makedirs(os.path.join(root, "usr/local/bin"))
        os.makedirs(os.path.join(root, "etc/systemd/system"))
        os.makedirs(os.path.join(root, "usr/lib/systemd"))
        # The targets and slices the units refer to (sysinit.target, ...).
        shutil.copytree("/usr/lib/systemd/system", os.path.join(root, "usr/lib/systemd/system"), symlinks=True)
        for b in bins.values():
            dst = os.path.join(root, "usr/local/bin", b.name)
            try:
                os.link(b.path, dst)  # same filesystem: no copy
            except OSError:
                shutil.copy2(b.path, dst)
        dsts = []
        for u in units:
            dst = os.path.join(root, "etc/systemd/system", os.path.basename(u))
            shutil.copy2(u, dst)
            dsts.append(dst)
        cmd = [exe, "verify", "--man=no", "--generators=no", f"--root={root}", *dsts]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        diag = (out.stdout + out.stderr).strip()
        print("$", " ".join(cmd))
        if diag:
            print(diag)
        if out.returncode != 0 or diag:
            problem(f"systemd-analyze verify: exit {out.returncode}, diagnostics above (warnings count as failures)")
        else:
            print("systemd-analyze verify: both units clean")
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["yaml", "systemd"])
    ap.add_argument("--source-dir", required=True)
    ap.add_argument("--ingest-bin", required=True)
    ap.add_argument("--query-bin", required=True)
    ap.add_argument("--cli-bin")
    a = ap.parse_args()
    src = os.path.abspath(a.source_dir)
    bins = {"ingest": Binary(a.ingest_bin), "query": Binary(a.query_bin)}
    for b in bins.values():
        check("--listen" in b.defaults, f"{b.name} --help shows no --listen default")
    if a.mode == "systemd":
        rc = systemd_verify(src, bins)
        if rc == SKIP:
            return SKIP
    else:
        try:
            import yaml  # noqa: F401
        except ImportError:
            print(f"python3-yaml is missing for {sys.executable} (tools/setup.sh installs it)")
            return 1
        env_known = code_env_names(src)
        check("DETENTE_INGEST_LISTEN" in env_known, "found no DETENTE_* names in services/")
        health = health_service_names(src)
        docs = load_all_yaml(src)
        check_k8s_dirs(docs)
        for kdir, expected in KUSTOMIZATIONS.items():
            check_k8s(docs, bins, env_known, health, kdir, expected)
            check_kustomize_render(src, docs, kdir)
        check_compose(docs, bins, env_known)
        check_dockerfiles(src, bins, env_known, a.cli_bin or a.ingest_bin)
        check_systemd_static(src, bins, env_known)
        nscripts = check_scripts(src, bins)
        print(f"checked {len(docs)} YAML files, 2 Dockerfiles, 2 systemd units, {nscripts} scripts; "
              f"code env names: {', '.join(sorted(env_known))}")
    for p in problems:
        print("FAIL:", p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
