// Messages between the page and its worker (training and test-set scans run
// off the main thread, so drawing and predicting never freeze). Parameters
// travel as one flat array in the network's layout (params.ts); structured
// clone copies it.

export type PackedParams = Float32Array;

export type ToWorker =
  /** Where the MNIST files are (the page's URL + "mnist/"); sent first. */
  | { readonly kind: 'data'; readonly url: string }
  /** Train from scratch with the CLI's default recipe for `epochs` epochs. */
  | { readonly kind: 'train'; readonly epochs: number; readonly seed: number }
  | { readonly kind: 'stop' }
  | { readonly kind: 'resume' }
  /** Scan the test set with these weights; answer with the mistakes. */
  | { readonly kind: 'mistakes'; readonly params: PackedParams };

export interface Mistake {
  readonly index: number;
  readonly label: number;
  readonly predicted: number;
  readonly probs: readonly number[];
  /** The 28x28 test image. */
  readonly pixels: Uint8Array;
}

export type FromWorker =
  | { readonly kind: 'status'; readonly source: Source; readonly text: string }
  | {
      readonly kind: 'progress';
      readonly epoch: number; readonly epochs: number; readonly step: number; readonly steps: number;
      /** Mean training loss and accuracy over the steps since the last report. */
      readonly loss: number; readonly accuracy: number;
      readonly lr: number; readonly imagesPerSecond: number;
      /** Threads the steps run on: the gradient workers when the page is cross-origin isolated, else 1. */
      readonly threads: number;
      readonly params: PackedParams;
      /** Per parameter, about once a second: what ConvNetJS shows while it trains (see LayerHealth). */
      readonly health?: readonly LayerHealth[];
    }
  | { readonly kind: 'epoch'; readonly epoch: number; readonly testAccuracy: number; readonly testLoss: number }
  | { readonly kind: 'stopped'; readonly finished: boolean }
  | { readonly kind: 'mistakes'; readonly accuracy: number; readonly mistakes: readonly Mistake[] }
  | { readonly kind: 'error'; readonly source: Source; readonly message: string };

/** Which part of the page a status or error is about. */
export type Source = 'train' | 'scan';

/**
 * One parameter's gradient and update sizes while training: the mean
 * |dLoss/dp| on a fixed probe batch of 32 training images (the library's
 * valueAndGrad at the current weights), and the mean |Δp| per step since the
 * previous probe over the mean |p|.
 */
export interface LayerHealth {
  readonly path: string;
  readonly gradMeanAbs: number;
  readonly updateRatio: number;
}
