/** The one part of spdy-transport kactus uses: the SPDY header dictionaries (by version). */
declare module 'spdy-transport' {
  const transport: { protocol: { spdy: { dictionary: Record<number, Buffer> } } };
  export default transport;
}
