
import { alexnet } from 'alexnet-ts';
export const m = alexnet({ config: 'vgg16' });
