const escapeXml = (text: string) => text.replace(/[<>&'"]/g, (char) => `&#${char.charCodeAt(0)};`);

/**
 * A product picture as an SVG `data:` URI: a tile in the category's colour with the product's initials and
 * short name. No image files to serve, and nothing fetched from elsewhere.
 *
 * @example
 * productImage('Copper Water Bottle', '#b45309'); // 'data:image/svg+xml,%3Csvg…'
 */
export function productImage(name: string, color: string): string {
  const initials = name
    .split(/\s+/)
    .filter((word) => /^[A-Za-z]/.test(word))
    .slice(0, 2)
    .map((word) => word[0]!.toUpperCase())
    .join('');
  const label = name.length > 28 ? `${name.slice(0, 27)}…` : name;
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 400 300" role="img" aria-label="${escapeXml(name)}">` +
    `<rect width="400" height="300" fill="${color}"/>` +
    '<circle cx="200" cy="130" r="70" fill="#ffffff" fill-opacity="0.18"/>' +
    `<text x="200" y="150" font-family="system-ui,sans-serif" font-size="56" font-weight="700" fill="#ffffff" text-anchor="middle">${escapeXml(initials)}</text>` +
    `<text x="200" y="255" font-family="system-ui,sans-serif" font-size="20" fill="#ffffff" text-anchor="middle">${escapeXml(label)}</text>` +
    '</svg>';
  return `data:image/svg+xml,${encodeURIComponent(svg)}`;
}
