"""CPU inference of the decoder: weight-only int8 linear layers.

On a CPU one decode step is bound by reading the weights (1.44 GB in fp32 for musicgen-small);
int8 weights read a quarter of that, and PyTorch's dynamic quantisation runs the products with
VNNI int8 kernels. Only the decoder's linear layers change; embeddings, norms, the text encoder
and EnCodec stay in fp32.
"""

from __future__ import annotations

import copy
import warnings

import torch


def quantize_for_cpu(model):
    """A copy of `model` whose decoder linear layers are dynamically quantised to int8."""
    quantized = copy.deepcopy(model)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.ao.quantization's deprecation notice
        quantized.decoder = torch.ao.quantization.quantize_dynamic(
            quantized.decoder, {torch.nn.Linear}, dtype=torch.qint8
        )
    return quantized.eval()
