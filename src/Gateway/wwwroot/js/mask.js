// The start image of image-to-image and the inpainting mask painted over it.

const canvasToBlob = (canvas) => new Promise((resolve) => canvas.toBlob(resolve, 'image/png'));

export class StartImage {
  constructor(imageCanvas, maskCanvas) {
    this.image = imageCanvas;
    this.mask = maskCanvas;
    this.loaded = false;
    this.painted = false;
    this.brush = 32;
    this.#listen();
  }

  /** Draws the file, cropped to multiples of 8 (what the models take); returns its size. */
  async load(file) {
    const bitmap = await createImageBitmap(file);
    const width = Math.max(8, Math.floor(bitmap.width / 8) * 8);
    const height = Math.max(8, Math.floor(bitmap.height / 8) * 8);
    for (const canvas of [this.image, this.mask]) {
      canvas.width = width;
      canvas.height = height;
    }
    this.image.getContext('2d').drawImage(bitmap, 0, 0);
    bitmap.close();
    this.clearMask();
    this.loaded = true;
    return { width, height };
  }

  unload() {
    this.loaded = false;
    this.clearMask();
  }

  clearMask() {
    this.mask.getContext('2d').clearRect(0, 0, this.mask.width, this.mask.height);
    this.painted = false;
  }

  imagePng() { return canvasToBlob(this.image); }

  /** The image as base64 PNG, as the Hyperbolic dialect takes it. */
  async imageBase64() {
    const bytes = new Uint8Array(await (await this.imagePng()).arrayBuffer());
    let binary = '';
    for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return btoa(binary);
  }

  /** OpenAI's mask: opaque where the image stays, transparent where it is repainted (where the user painted). */
  maskPng() {
    const out = document.createElement('canvas');
    out.width = this.mask.width;
    out.height = this.mask.height;
    const context = out.getContext('2d');
    context.fillStyle = '#000';
    context.fillRect(0, 0, out.width, out.height);
    context.globalCompositeOperation = 'destination-out';
    context.drawImage(this.mask, 0, 0);
    return canvasToBlob(out);
  }

  #listen() {
    let last = null;
    const point = (event) => {
      const box = this.mask.getBoundingClientRect();
      return {
        x: (event.clientX - box.left) * this.mask.width / box.width,
        y: (event.clientY - box.top) * this.mask.height / box.height,
      };
    };
    const paint = (to) => {
      const context = this.mask.getContext('2d');
      const scale = this.mask.width / this.mask.getBoundingClientRect().width;
      // Any opaque colour marks the mask (only its alpha is used); red shows on most pictures.
      context.strokeStyle = '#ff2d2d';
      context.lineWidth = this.brush * scale;
      context.lineCap = context.lineJoin = 'round';
      context.beginPath();
      context.moveTo((last ?? to).x, (last ?? to).y);
      context.lineTo(to.x, to.y);
      context.stroke();
      last = to;
      this.painted = true;
    };
    this.mask.addEventListener('pointerdown', (event) => {
      this.mask.setPointerCapture(event.pointerId);
      last = null;
      paint(point(event));
    });
    this.mask.addEventListener('pointermove', (event) => { if (this.mask.hasPointerCapture(event.pointerId)) paint(point(event)); });
    this.mask.addEventListener('pointerup', () => { last = null; });
  }
}
