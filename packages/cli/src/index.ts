export { main } from './main';
export { formatTable } from './table';
