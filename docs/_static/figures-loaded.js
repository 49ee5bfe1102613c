// Marks on <body> how many figures the page has and how many loaded with a size, so that a
// headless browser's dump of the page can tell a missing image from a present one (the docs'
// test reads these attributes; readers see nothing of it).
window.addEventListener("load", function () {
  var images = Array.prototype.slice.call(document.images);
  var loaded = images.filter(function (img) { return img.complete && img.naturalWidth > 0; });
  document.body.setAttribute("data-figures", String(images.length));
  document.body.setAttribute("data-figures-loaded", String(loaded.length));
});
