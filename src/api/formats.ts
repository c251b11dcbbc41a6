/**
 * File formats: safetensors (parameters and any tensors, with a JSON
 * header), IDX (MNIST's images and labels) and ONNX (a trained network
 * for onnxruntime and other runtimes). Decoders check every byte against
 * limits and answer with a reason, never a half-read value. Import
 * File formats: a network's parameters saved and loaded with its own
 * description (refusing another network's file), safetensors (parameters
 * and any tensors, with a JSON header) and IDX (MNIST's images and labels). Decoders check every byte
 * against limits and answer with a reason, never a half-read value. Import
 * them from `mnist-cnn-ts`.
 *
 * @module Formats
 */

export { encodeSafetensors, decodeSafetensors, expectTensors, type Safetensors } from '../formats/safetensors.ts';
export { parseImages, parseLabels, formatDataError, type IdxImages, type IdxLabels, type DataError } from '../formats/idx.ts';
export { encodeOnnx, ONNX_OPSET, type OnnxOptions } from '../formats/onnx.ts';
export { saveParams, loadParams, describeNetwork, type SaveOptions, type LoadOptions, type NetworkDescription } from '../formats/params.ts';
