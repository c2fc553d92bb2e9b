// Next.js middleware (the Edge runtime): every /api request needs a valid
// bearer token. `jwt-edge` resolves to its `edge-light` entry here; no init.
import { NextResponse, type NextRequest } from 'next/server';
import { verifyJwt, getCryptoBackend, JwtEdgeError } from 'jwt-edge';
import jwks from './jwks.json';

export const config = { matcher: '/api/:path*' };

export async function middleware(request: NextRequest) {
  const token = request.headers.get('authorization')?.replace(/^Bearer /, '');
  if (!token) return NextResponse.json({ error: 'ERR_MISSING_TOKEN' }, { status: 401 });
  try {
    const { payload } = await verifyJwt(token, jwks, { issuer: 'https://issuer.example', audience: 'api' });
    const headers = new Headers(request.headers);
    headers.set('x-user', String(payload.sub));
    headers.set('x-jwt-backend', getCryptoBackend());
    return NextResponse.next({ request: { headers } });
  } catch (error) {
    const code = error instanceof JwtEdgeError ? error.code : 'ERR_UNEXPECTED';
    return NextResponse.json({ error: code }, { status: 401 });
  }
}
