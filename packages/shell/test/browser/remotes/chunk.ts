export const label = 'chunked: loaded its chunk';
