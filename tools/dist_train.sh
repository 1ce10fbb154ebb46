#!/usr/bin/env bash
# bash tools/dist_train.sh CONFIG NUM_PROCS [train.py args]: one process per GPU via torchrun
# (on CPU-only machines the gloo backend is used, see the runtime config's env_cfg).
CONFIG=$1
NPROCS=$2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}
cd "$(dirname "$0")/.." || exit 1
PYTHONPATH="$(pwd):${PYTHONPATH:-}" \
"${PYTHON:-python3}" -m torch.distributed.run --nnodes="$NNODES" --node_rank="$NODE_RANK" \
    --master_addr="$MASTER_ADDR" --nproc_per_node="$NPROCS" --master_port="$PORT" \
    tools/train.py "$CONFIG" --launcher pytorch "${@:3}"
