/**
 * Pictures: a drawn digit in (cropped, centred and scaled as MNIST's were),
 * rasters and charts out (digits, filters, feature maps, saliency, a grid of
 * predictions, a confusion matrix, training curves as SVG). A raster is
 * RGBA bytes; writing it to a file is the caller's. Import them from
 * `mnist-cnn-ts`.
 *
 * @module Pictures
 */

export { preprocess, preprocessGray, toGray, toInput, type RgbaImage } from '../pictures/preprocess.ts';
export { digitRaster, filtersRaster, mapsRaster, saliencyRaster, paramRaster, layerRaster, type TileLayout, type TileRaster } from '../pictures/maps.ts';
export { predictionGrid, confusionMatrixRaster, type GridOptions } from '../pictures/grid.ts';
export { curvesSvg, confusionMatrixSvg, type Series, type Point, type ChartOptions } from '../pictures/svg.ts';
export type { Raster } from '../pictures/raster.ts';
