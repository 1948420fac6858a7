export interface UnbuiltPackage {
  name: string;
  /** The missing entry file, or the package folder when it was never installed. */
  missing: string;
}
export function unbuiltPackages(packageDir: string): UnbuiltPackage[];
export function unbuiltMessage(unbuilt: readonly UnbuiltPackage[]): string | null;
