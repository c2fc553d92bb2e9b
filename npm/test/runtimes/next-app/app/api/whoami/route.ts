// Reached only through the middleware, which sets these headers.
export function GET(request: Request) {
  return Response.json({ user: request.headers.get('x-user'), backend: request.headers.get('x-jwt-backend') });
}
