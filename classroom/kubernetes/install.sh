#!/usr/bin/env bash
# Install or upgrade the course's JupyterHub on the Kubernetes cluster kubectl points at.
#
#   classroom/kubernetes/install.sh <image tag> <secrets.yaml> [more helm arguments]
#
# <image tag> is what build_image.py printed (the commit it built); <secrets.yaml>
# holds the OAuth client id and secret and lives outside the repository (README.md).
set -euo pipefail

# The chart version is pinned: 4.4.0 ships JupyterHub 5.5.0 and KubeSpawner 7.0.0
# (images/hub/requirements.txt at tag 4.4.0 of jupyterhub/zero-to-jupyterhub-k8s).
CHART_VERSION=4.4.0
RELEASE=${RELEASE:-mlchem}
NAMESPACE=${NAMESPACE:-mlchem}

[ $# -ge 2 ] || { sed -n 4,7p "$0" >&2; exit 2; }
tag=$1 secrets=$2
shift 2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
[ -f "$secrets" ] || { echo "error: no secrets file '$secrets'" >&2; exit 2; }

helm repo add jupyterhub https://hub.jupyter.org/helm-chart/ --force-update >/dev/null
helm repo update jupyterhub >/dev/null
kubectl get namespace "$NAMESPACE" >/dev/null 2>&1 || kubectl create namespace "$NAMESPACE"
# The exchange's ReadWriteMany claim and the one-off job that makes it writable for uid 1000.
kubectl apply --namespace "$NAMESPACE" -f "$here/exchange-pvc.yaml"
helm upgrade --install "$RELEASE" jupyterhub/jupyterhub \
  --cleanup-on-fail --namespace "$NAMESPACE" --version "$CHART_VERSION" \
  --values "$here/values.yaml" --values "$secrets" \
  --set singleuser.image.tag="$tag" "$@"
