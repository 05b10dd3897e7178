// The part of BVLC Caffe's src/caffe/proto/caffe.proto that AlexNet models
// use, with caffe.proto's field numbers, parsed at load time by protobufjs.
// Both layer layouts are here: LayerParameter (`layer`, field 100, 2015 on)
// and V1LayerParameter (`layers`, field 2, the 2014 files such as
// bvlc_alexnet.caffemodel may be). Unknown fields are skipped on decoding.
//
// One deliberate difference: BlobProto.data is `repeated float data = 5
// [packed = true]` in caffe.proto; packed floats are one length-delimited
// field of little-endian float32 bytes, so it is declared `bytes` here and
// read as a Float32Array view, where protobufjs would build a JavaScript
// array of 61 million numbers (half a gigabyte) for the full net.

import protobuf from 'protobufjs';

const CAFFE_PROTO = `
syntax = "proto2";
package caffe;
message BlobShape { repeated int64 dim = 1 [packed = true]; }
message BlobProto {
  optional BlobShape shape = 7;
  optional bytes data = 5;
  optional bytes double_data = 8;
  optional int32 num = 1;
  optional int32 channels = 2;
  optional int32 height = 3;
  optional int32 width = 4;
}
message NetParameter {
  optional string name = 1;
  repeated string input = 3;
  repeated BlobShape input_shape = 8;
  repeated int32 input_dim = 4;
  repeated LayerParameter layer = 100;
  repeated V1LayerParameter layers = 2;
}
message LayerParameter {
  optional string name = 1;
  optional string type = 2;
  repeated string bottom = 3;
  repeated string top = 4;
  repeated BlobProto blobs = 7;
  optional ConvolutionParameter convolution_param = 106;
  optional DropoutParameter dropout_param = 108;
  optional InnerProductParameter inner_product_param = 117;
  optional LRNParameter lrn_param = 118;
  optional PoolingParameter pooling_param = 121;
  optional ReLUParameter relu_param = 123;
  optional InputParameter input_param = 143;
}
message V1LayerParameter {
  enum LayerType {
    NONE = 0; ABSVAL = 35; ACCURACY = 1; ARGMAX = 30; BNLL = 2; CONCAT = 3; CONTRASTIVE_LOSS = 37; CONVOLUTION = 4; DATA = 5;
    DECONVOLUTION = 39; DROPOUT = 6; DUMMY_DATA = 32; EUCLIDEAN_LOSS = 7; ELTWISE = 25; EXP = 38; FLATTEN = 8; HDF5_DATA = 9;
    HDF5_OUTPUT = 10; HINGE_LOSS = 28; IM2COL = 11; IMAGE_DATA = 12; INFOGAIN_LOSS = 13; INNER_PRODUCT = 14; LRN = 15;
    MEMORY_DATA = 29; MULTINOMIAL_LOGISTIC_LOSS = 16; MVN = 34; POOLING = 17; POWER = 26; RELU = 18; SIGMOID = 19;
    SIGMOID_CROSS_ENTROPY_LOSS = 27; SILENCE = 36; SOFTMAX = 20; SOFTMAX_LOSS = 21; SPLIT = 22; SLICE = 33; TANH = 23;
    WINDOW_DATA = 24; THRESHOLD = 31;
  }
  repeated string bottom = 2;
  repeated string top = 3;
  optional string name = 4;
  optional LayerType type = 5;
  repeated BlobProto blobs = 6;
  optional ConvolutionParameter convolution_param = 10;
  optional DropoutParameter dropout_param = 12;
  optional InnerProductParameter inner_product_param = 17;
  optional LRNParameter lrn_param = 18;
  optional PoolingParameter pooling_param = 19;
  optional ReLUParameter relu_param = 30;
}
message ConvolutionParameter {
  optional uint32 num_output = 1;
  optional bool bias_term = 2;
  repeated uint32 pad = 3;
  repeated uint32 kernel_size = 4;
  optional uint32 group = 5;
  repeated uint32 stride = 6;
  optional uint32 pad_h = 9;
  optional uint32 pad_w = 10;
  optional uint32 kernel_h = 11;
  optional uint32 kernel_w = 12;
  optional uint32 stride_h = 13;
  optional uint32 stride_w = 14;
  repeated uint32 dilation = 18;
}
message DropoutParameter { optional float dropout_ratio = 1; }
message InnerProductParameter { optional uint32 num_output = 1; optional bool bias_term = 2; optional int32 axis = 5; optional bool transpose = 6; }
message LRNParameter {
  enum NormRegion { ACROSS_CHANNELS = 0; WITHIN_CHANNEL = 1; }
  optional uint32 local_size = 1;
  optional float alpha = 2;
  optional float beta = 3;
  optional NormRegion norm_region = 4;
  optional float k = 5;
}
message PoolingParameter {
  enum PoolMethod { MAX = 0; AVE = 1; STOCHASTIC = 2; }
  enum RoundMode { CEIL = 0; FLOOR = 1; }
  optional PoolMethod pool = 1;
  optional uint32 kernel_size = 2;
  optional uint32 stride = 3;
  optional uint32 pad = 4;
  optional uint32 kernel_h = 5;
  optional uint32 kernel_w = 6;
  optional uint32 stride_h = 7;
  optional uint32 stride_w = 8;
  optional uint32 pad_h = 9;
  optional uint32 pad_w = 10;
  optional bool global_pooling = 12;
  optional RoundMode round_mode = 13;
}
message ReLUParameter { optional float negative_slope = 1; }
message InputParameter { repeated BlobShape shape = 1; }
`;

let root: protobuf.Root | undefined;
/** caffe.NetParameter, parsed once. */
export function netParameter(): protobuf.Type {
  root ??= protobuf.parse(CAFFE_PROTO, { keepCase: true }).root;
  return root.lookupType('caffe.NetParameter');
}

/** caffe.BlobProto: what a mean file (ilsvrc_2012_mean.binaryproto) holds. */
export function blobProto(): protobuf.Type {
  root ??= protobuf.parse(CAFFE_PROTO, { keepCase: true }).root;
  return root.lookupType('caffe.BlobProto');
}
