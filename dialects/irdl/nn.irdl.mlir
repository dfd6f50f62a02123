// The `nn` dialect: CNN inference at tensor level, the input of the compiler.
//
// Feature maps are ranked f32 tensors in NCHW order. Every attribute is
// required (IRDL has no optional attributes), so defaults are printed
// explicitly. Operand/attribute invariants that IRDL cannot state (pads
// non-negative, groups divide channels, ...) are checked by the Rust
// verifiers in `rram_dialects::nn`; result shapes by `nn-verify-shapes`.
// Each operand has its own constraint: IRDL unifies operands that share one.
irdl.dialect @nn {
  // A named weight tensor (conv kernel, bias, batchnorm statistics). The data
  // lives outside the IR, keyed by `name`; the mapper only needs the shape.
  irdl.operation @weight {
    %name = irdl.base "#builtin.string"
    %out = irdl.base "!builtin.tensor"
    irdl.attributes {"name" = %name}
    irdl.results(output: %out)
  }

  // 2-D convolution. input [N, Cin, H, W], weight [Cout, Cin/groups, Kh, Kw],
  // bias [Cout]; strides/dilations [h, w], pads [top, left, bottom, right].
  irdl.operation @conv2d {
    %in = irdl.base "!builtin.tensor"
    %w = irdl.base "!builtin.tensor"
    %b = irdl.base "!builtin.tensor"
    %out = irdl.base "!builtin.tensor"
    %strides = irdl.base "#builtin.dense_array"
    %pads = irdl.base "#builtin.dense_array"
    %dilations = irdl.base "#builtin.dense_array"
    %groups = irdl.base "#builtin.integer"
    irdl.operands(input: %in, weight: %w, bias: optional %b)
    irdl.attributes {"strides" = %strides, "pads" = %pads, "dilations" = %dilations, "groups" = %groups}
    irdl.results(output: %out)
  }

  // Fully connected layer: input [N, K], weight [M, K], bias [M] -> [N, M].
  irdl.operation @dense {
    %in = irdl.base "!builtin.tensor"
    %w = irdl.base "!builtin.tensor"
    %b = irdl.base "!builtin.tensor"
    %out = irdl.base "!builtin.tensor"
    irdl.operands(input: %in, weight: %w, bias: optional %b)
    irdl.results(output: %out)
  }

  irdl.operation @relu {
    %in = irdl.base "!builtin.tensor"
    %out = irdl.base "!builtin.tensor"
    irdl.operands(input: %in)
    irdl.results(output: %out)
  }

  // Clamp to [min, max] (relu6 is clip 0..6).
  irdl.operation @clip {
    %in = irdl.base "!builtin.tensor"
    %out = irdl.base "!builtin.tensor"
    %min = irdl.base "#builtin.float"
    %max = irdl.base "#builtin.float"
    irdl.operands(input: %in)
    irdl.attributes {"min" = %min, "max" = %max}
    irdl.results(output: %out)
  }

  // Pools: kernel/strides/dilations [h, w], pads [top, left, bottom, right];
  // avgpool2d has no dilations (ONNX AveragePool has none either).
  irdl.operation @maxpool2d {
    %in = irdl.base "!builtin.tensor"
    %out = irdl.base "!builtin.tensor"
    %kernel = irdl.base "#builtin.dense_array"
    %strides = irdl.base "#builtin.dense_array"
    %pads = irdl.base "#builtin.dense_array"
    %dilations = irdl.base "#builtin.dense_array"
    %ceil = irdl.base "#builtin.integer"
    irdl.operands(input: %in)
    irdl.attributes {"kernel" = %kernel, "strides" = %strides, "pads" = %pads, "dilations" = %dilations, "ceil_mode" = %ceil}
    irdl.results(output: %out)
  }

  irdl.operation @avgpool2d {
    %in = irdl.base "!builtin.tensor"
    %out = irdl.base "!builtin.tensor"
    %kernel = irdl.base "#builtin.dense_array"
    %strides = irdl.base "#builtin.dense_array"
    %pads = irdl.base "#builtin.dense_array"
    %ceil = irdl.base "#builtin.integer"
    %count_pad = irdl.base "#builtin.integer"
    irdl.operands(input: %in)
    irdl.attributes {"kernel" = %kernel, "strides" = %strides, "pads" = %pads, "ceil_mode" = %ceil, "count_include_pad" = %count_pad}
    irdl.results(output: %out)
  }

  // [N, C, H, W] -> [N, C, 1, 1]
  irdl.operation @global_avgpool {
    %in = irdl.base "!builtin.tensor"
    %out = irdl.base "!builtin.tensor"
    irdl.operands(input: %in)
    irdl.results(output: %out)
  }

  // Element-wise sum of two tensors of one shape (residual connections).
  irdl.operation @add {
    %lhs = irdl.base "!builtin.tensor"
    %rhs = irdl.base "!builtin.tensor"
    %out = irdl.base "!builtin.tensor"
    irdl.operands(lhs: %lhs, rhs: %rhs)
    irdl.results(output: %out)
  }

  // Two-input concatenation along `axis`. IRDL forces every element of a
  // variadic operand to one type, so n-ary concats are chains of these.
  irdl.operation @concat {
    %lhs = irdl.base "!builtin.tensor"
    %rhs = irdl.base "!builtin.tensor"
    %out = irdl.base "!builtin.tensor"
    %axis = irdl.base "#builtin.integer"
    irdl.operands(lhs: %lhs, rhs: %rhs)
    irdl.attributes {"axis" = %axis}
    irdl.results(output: %out)
  }

  // Inference batch normalization over channels (axis 1):
  // y = scale * (x - mean) / sqrt(var + epsilon) + bias.
  irdl.operation @batchnorm {
    %in = irdl.base "!builtin.tensor"
    %scale = irdl.base "!builtin.tensor"
    %bias = irdl.base "!builtin.tensor"
    %mean = irdl.base "!builtin.tensor"
    %var = irdl.base "!builtin.tensor"
    %out = irdl.base "!builtin.tensor"
    %eps = irdl.base "#builtin.float"
    irdl.operands(input: %in, scale: %scale, bias: %bias, mean: %mean, var: %var)
    irdl.attributes {"epsilon" = %eps}
    irdl.results(output: %out)
  }

  // Multiplies output channel c (dimension 0) of a weight tensor by factor[c].
  // Produced by nn-fold-batchnorm; evaluated where weight data is present.
  irdl.operation @scale_channels {
    %w = irdl.base "!builtin.tensor"
    %f = irdl.base "!builtin.tensor"
    %out = irdl.base "!builtin.tensor"
    irdl.operands(weight: %w, factor: %f)
    irdl.results(output: %out)
  }

  // ONNX Flatten: a 2-D result [d0*...*d(axis-1), d(axis)*...*d(rank-1)],
  // e.g. [N, C, H, W] with axis 1 -> [N, C*H*W].
  irdl.operation @flatten {
    %in = irdl.base "!builtin.tensor"
    %out = irdl.base "!builtin.tensor"
    %axis = irdl.base "#builtin.integer"
    irdl.operands(input: %in)
    irdl.attributes {"axis" = %axis}
    irdl.results(output: %out)
  }

  // Same elements, shape of the result type.
  irdl.operation @reshape {
    %in = irdl.base "!builtin.tensor"
    %out = irdl.base "!builtin.tensor"
    irdl.operands(input: %in)
    irdl.results(output: %out)
  }

  irdl.operation @softmax {
    %in = irdl.base "!builtin.tensor"
    %out = irdl.base "!builtin.tensor"
    %axis = irdl.base "#builtin.integer"
    irdl.operands(input: %in)
    irdl.attributes {"axis" = %axis}
    irdl.results(output: %out)
  }
}
